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
%%
%% (`-s erlang halt' ends the VM at once; `-s init stop' takes about a
%% second longer.) Arguments may be atoms (from -s), strings (from -run) or
%% numbers (from -eval).
-module(otter_bench).

-export([run/1, pingpong/1, ring/2, spawn_rate/2, crash_cost/1, zero/0]).

-define(WARMUP, 0.1).
-define(SECONDS, 0.5).
%% Round trips between two looks at the clock, as in bench_pingpong.c.
-define(CHUNK, 1024).

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

to_atom(A) when is_atom(A) -> A;
to_atom(L) when is_list(L) -> list_to_atom(L).

to_num(N) when is_number(N) -> N;
to_num(A) when is_atom(A) -> to_num(atom_to_list(A));
to_num(L) when is_list(L) ->
    try list_to_integer(L)
    catch error:badarg -> list_to_float(L)
    end.
