%% otter_bench — the Erlang twins of otter's C benchmarks (bench/bench_*.c).
%%
%% Each benchmark warms up for 0.1 s, then repeats its work until at least
%% Seconds (default 0.5) have gone by on the monotonic clock, exactly as the
%% C programs do, and prints one number on stdout:
%%
%%   erl -noshell +S 1 -pa DIR -s otter_bench run pingpong -s init stop
%%   erl -noshell +S 1 -pa DIR -s otter_bench run ring 100000 -s erlang halt
%%   erl -noshell +S 2 -pa DIR -eval 'otter_bench:run([spawn])' -s erlang halt
%%
%%   run([pingpong | [Seconds]])        ns per round trip
%%   run([ring, Size | [Seconds]])      messages (hops) per second
%%   run([spawn | [Batch, [Seconds]]])  processes per second
%%   run([crash | [Seconds]])           microseconds per trapped crash
%%   run([call | [Seconds]])            ns per gen_server call round trip
%%   run([cast | [Batch, [Seconds]]])   gen_server casts handled per second
%%   run([pairs | [K, [Seconds]]])      gen_server calls per second, in
%%                                      total, of K client/server pairs
%%
%% The gen_server twins (call, cast, pairs) use this module as the
%% server's callback module (init/1, handle_call/3, handle_cast/2 below).
%%
%% (`-s erlang halt' ends the VM at once; `-s init stop' takes about a
%% second longer.) Arguments may be atoms (from -s), strings (from -run) or
%% numbers (from -eval).
-module(otter_bench).
-behaviour(gen_server).

-export([run/1, pingpong/1, ring/2, spawn_rate/2, crash_cost/1, zero/0,
         call_time/1, cast_rate/2, pairs_rate/2]).
-export([init/1, handle_call/3, handle_cast/2]).

-define(WARMUP, 0.1).
-define(SECONDS, 0.5).
%% Round trips between two looks at the clock, as in bench_pingpong.c
%% (and calls, as in bench_call.c).
-define(CHUNK, 1024).
%% Calls between two looks at the clock in each pair, as in bench_pairs.c.
-define(PAIRS_CHUNK, 16).
%% The timeout of every gen_server call, as in the C benchmarks.
-define(CALL_TIMEOUT, 5000).

run([Name | Args0]) ->
    Args = [to_num(A) || A <- Args0],
    {Fun, Decimals} =
        case {to_atom(Name), Args} of
            {pingpong, []} -> {fun() -> pingpong(?SECONDS) end, 1};
            {pingpong, [S]} -> {fun() -> pingpong(S) end, 1};
            {ring, [N]} -> {fun() -> ring(N, ?SECONDS) end, 0};
            {ring, [N, S]} -> {fun() -> ring(N, S) end, 0};
            {spawn, []} -> {fun() -> spawn_rate(1000, ?SECONDS) end, 0};
            {spawn, [B]} -> {fun() -> spawn_rate(B, ?SECONDS) end, 0};
            {spawn, [B, S]} -> {fun() -> spawn_rate(B, S) end, 0};
            {crash, []} -> {fun() -> crash_cost(?SECONDS) end, 3};
            {crash, [S]} -> {fun() -> crash_cost(S) end, 3};
            {call, []} -> {fun() -> call_time(?SECONDS) end, 1};
            {call, [S]} -> {fun() -> call_time(S) end, 1};
            {cast, []} -> {fun() -> cast_rate(1000, ?SECONDS) end, 0};
            {cast, [B]} -> {fun() -> cast_rate(B, ?SECONDS) end, 0};
            {cast, [B, S]} -> {fun() -> cast_rate(B, S) end, 0};
            {pairs, []} -> {fun() -> pairs_rate(2, ?SECONDS) end, 0};
            {pairs, [K]} -> {fun() -> pairs_rate(K, ?SECONDS) end, 0};
            {pairs, [K, S]} -> {fun() -> pairs_rate(K, S) end, 0};
            _ -> erlang:error({bad_arguments, [Name | Args0]})
        end,
    case to_atom(Name) of
        %% Each crash would log an error report: drop them (see crash_cost).
        crash -> ok = logger:set_primary_config(level, none);
        _ -> ok
    end,
    Figure = in_fresh_process(Fun),
    case Decimals of
        0 -> io:format("~b~n", [round(Figure)]);
        _ -> io:format("~.*f~n", [Decimals, float(Figure)])
    end,
    ok.

%% Runs Fun in a new process (not in init's), returns its result.
in_fresh_process(Fun) ->
    Parent = self(),
    {Pid, Ref} = spawn_monitor(fun() -> Parent ! {self(), Fun()} end),
    receive
        {Pid, Result} ->
            erlang:demonitor(Ref, [flush]),
            Result;
        {'DOWN', Ref, process, Pid, Why} ->
            erlang:error({benchmark_failed, Why})
    end.

now_ns() -> erlang:monotonic_time(nanosecond).

%% Repeats Work() until at least Secs seconds have gone by (once at least).
%% Work() returns how many units it did. Returns {Units, Nanoseconds}.
for_seconds(Work, Secs) ->
    T0 = now_ns(),
    for_seconds(Work, T0, round(Secs * 1.0e9), 0).

for_seconds(Work, T0, Limit, Done0) ->
    Done = Done0 + Work(),
    case now_ns() - T0 of
        E when E >= Limit -> {Done, E};
        _ -> for_seconds(Work, T0, Limit, Done)
    end.

%% ---------------------------------------------------------------------------
%% Ping-pong: Pid ! {self(), N}, the peer answers {self(), N}.

pingpong(Secs) ->
    Pong = spawn(fun pong/0),
    Work = fun() -> rounds(Pong, ?CHUNK), ?CHUNK end,
    _ = for_seconds(Work, ?WARMUP),
    {N, Ns} = for_seconds(Work, Secs),
    Pong ! stop,
    Ns / N.

pong() ->
    receive
        {From, N} -> From ! {self(), N}, pong();
        stop -> ok
    end.

rounds(_, 0) -> ok;
rounds(Pong, K) ->
    Pong ! {self(), K},
    receive {Pong, K} -> rounds(Pong, K - 1) end.

%% ---------------------------------------------------------------------------
%% Ring: Size processes (the timing one included), one token going round.

ring(Size, Secs) when is_integer(Size), Size >= 2 ->
    First = lists:foldl(fun(_, Next) -> spawn(fun() -> relay(Next) end) end,
                        self(), lists:seq(1, Size - 1)),
    Work = fun() -> lap(First), 1 end,
    _ = for_seconds(Work, ?WARMUP),
    {Laps, Ns} = for_seconds(Work, Secs),
    First ! stop,
    receive stop -> ok end,
    Laps * Size / (Ns / 1.0e9).

relay(Next) ->
    receive
        {token, _} = Token -> Next ! Token, relay(Next);
        stop -> Next ! stop
    end.

lap(First) ->
    V = erlang:unique_integer([positive]) band 16#7fffffff,
    First ! {token, V},
    receive {token, V} -> ok end.

%% ---------------------------------------------------------------------------
%% Spawn: the parent traps exits and spawn_links a batch of Batch processes
%% that end at once (reason normal); it collects the batch's EXIT messages,
%% then spawns the next batch. BASELINE.md's figure, and bench_spawn.c's.

spawn_rate(Batch, Secs) when is_integer(Batch), Batch >= 1 ->
    process_flag(trap_exit, true),
    Child = fun() -> ok end,
    Work = fun() -> spawn_n(Child, Batch), collect(Batch), Batch end,
    _ = for_seconds(Work, ?WARMUP),
    {N, Ns} = for_seconds(Work, Secs),
    N / (Ns / 1.0e9).

spawn_n(_, 0) -> ok;
spawn_n(Child, K) -> spawn_link(Child), spawn_n(Child, K - 1).

collect(0) -> ok;
collect(K) -> receive {'EXIT', _, normal} -> collect(K - 1) end.

%% ---------------------------------------------------------------------------
%% Crash: the parent traps exits and, one at a time, spawn_links a process
%% that fails with badarith (1 / 0, the 0 from a remote call so that the
%% compiler cannot see it), then waits for its {'EXIT', Pid, {badarith, _}}.
%% run/1 sets the logger's primary level to none first, so the emulator's
%% error report for each crash is dropped, not printed (bench_crash.c
%% discards otter's crash reports likewise).

crash_cost(Secs) ->
    process_flag(trap_exit, true),
    Work = fun() -> crash_once(), 1 end,
    _ = for_seconds(Work, ?WARMUP),
    {N, Ns} = for_seconds(Work, Secs),
    Ns / 1.0e3 / N.

crash_once() ->
    Pid = spawn_link(fun() -> 1 / ?MODULE:zero() end),
    receive {'EXIT', Pid, {badarith, _}} -> ok end.

zero() -> 0.

%% ---------------------------------------------------------------------------
%% gen_server: the server of call, cast and pairs. Its state is the count
%% of casts since the last sync call.
%%
%%   call V (an integer)  replies V + 1
%%   call sync            replies the count and resets it
%%   cast K               K must be the count (casts arrive in order)

init(_) -> {ok, 0}.

handle_call(V, _From, C) when is_integer(V) -> {reply, V + 1, C};
handle_call(sync, _From, C) -> {reply, C, 0}.

handle_cast(K, K) -> {noreply, K + 1}.

%% K calls, the replies checked; the requests are K, K-1, ..., 1.
calls(_, 0) -> ok;
calls(S, K) ->
    R = K + 1,
    R = gen_server:call(S, K, ?CALL_TIMEOUT),
    calls(S, K - 1).

%% ---------------------------------------------------------------------------
%% Call: one client (the head) calls one server in a loop. bench_call.c.

call_time(Secs) ->
    {ok, S} = gen_server:start(?MODULE, [], []),
    Work = fun() -> calls(S, ?CHUNK), ?CHUNK end,
    _ = for_seconds(Work, ?WARMUP),
    {N, Ns} = for_seconds(Work, Secs),
    ok = gen_server:stop(S),
    Ns / N.

%% ---------------------------------------------------------------------------
%% Cast: the head casts 0, 1, ..., Batch-1, then calls sync, which must
%% answer Batch (all handled); the time covers both, the count only the
%% casts. bench_cast.c.

cast_rate(Batch, Secs) when is_integer(Batch), Batch >= 1 ->
    {ok, S} = gen_server:start(?MODULE, [], []),
    Work = fun() ->
                   cast_n(S, 0, Batch),
                   Batch = gen_server:call(S, sync, ?CALL_TIMEOUT)
           end,
    _ = for_seconds(Work, ?WARMUP),
    {N, Ns} = for_seconds(Work, Secs),
    ok = gen_server:stop(S),
    N / (Ns / 1.0e9).

cast_n(_, B, B) -> ok;
cast_n(S, K, B) -> gen_server:cast(S, K), cast_n(S, K + 1, B).

%% ---------------------------------------------------------------------------
%% Pairs: K clients, each with its own server, call in a loop between two
%% deadlines that the head gives all of them (the end of the warmup, and
%% Secs later); each counts the calls it made between its first look at
%% the clock past the first and its first look past the second. Calls per
%% second: the sum of the counts over the span from the earliest start to
%% the latest end. bench_pairs.c.

pairs_rate(K, Secs) when is_integer(K), K >= 1 ->
    Head = self(),
    Clients = [spawn_link(fun() -> pair_client(Head) end)
               || _ <- lists:seq(1, K)],
    _ = [receive {ready, C} -> ok end || C <- Clients],
    WarmEnd = now_ns() + round(?WARMUP * 1.0e9),
    End = WarmEnd + round(Secs * 1.0e9),
    _ = [C ! {go, WarmEnd, End} || C <- Clients],
    Counts = [receive {count, C, N, T0, T1} -> {N, T0, T1} end
              || C <- Clients],
    _ = [C ! stop || C <- Clients],
    _ = [receive {done, C} -> ok end || C <- Clients],
    Total = lists:sum([N || {N, _, _} <- Counts]),
    Span = lists:max([T1 || {_, _, T1} <- Counts]) -
        lists:min([T0 || {_, T0, _} <- Counts]),
    Total / (Span / 1.0e9).

pair_client(Head) ->
    {ok, S} = gen_server:start(?MODULE, [], []),
    Head ! {ready, self()},
    receive {go, WarmEnd, End} -> ok end,
    T0 = pair_warm(S, WarmEnd),
    {N, T1} = pair_count(S, End, 0),
    Head ! {count, self(), N, T0, T1},
    receive stop -> ok end,
    ok = gen_server:stop(S),
    Head ! {done, self()}.

pair_warm(S, WarmEnd) ->
    case now_ns() of
        T when T >= WarmEnd -> T;
        _ -> calls(S, ?PAIRS_CHUNK), pair_warm(S, WarmEnd)
    end.

pair_count(S, End, N) ->
    case now_ns() of
        T when T >= End -> {N, T};
        _ -> calls(S, ?PAIRS_CHUNK), pair_count(S, End, N + ?PAIRS_CHUNK)
    end.

%% ---------------------------------------------------------------------------

to_atom(A) when is_atom(A) -> A;
to_atom(L) when is_list(L) -> list_to_atom(L).

to_num(N) when is_number(N) -> N;
to_num(A) when is_atom(A) -> to_num(atom_to_list(A));
to_num(L) when is_list(L) ->
    try list_to_integer(L)
    catch error:badarg -> list_to_float(L)
    end.
