%% SPDX-License-Identifier: MIT
%% otter_bench — the Erlang twins of otter's C benchmarks (bench/bench_*.c).
%%
%% Each benchmark warms up for 0.1 s, then repeats its work until at least
%% Seconds (default 0.5) have gone by on the monotonic clock, exactly as the
%% C programs do, and prints one number on stdout:
%%
%%   erl -noshell +S 1 -pa DIR -s otter_bench run pingpong -s init stop
%%   erl -noshell +S 1 -pa DIR -s otter_bench run ring 100000 -s erlang halt
%%   erl -noshell +S 2 -pa DIR -eval 'otter_bench:run([spawn])' -s erlang halt
%%   erl -noshell +S 1 +P 2001024 -pa DIR -s otter_bench run idle 1000000 \
%%       memory -s erlang halt
%%
%%   run([pingpong | [Seconds]])        ns per round trip
%%   run([ring, Size | [Seconds]])      messages (hops) per second
%%   run([spawn | [Batch, [Seconds]]])  processes per second
%%   run([crash | [Seconds]])           microseconds per trapped crash
%%   run([call | [Seconds]])            ns per gen_server call round trip
%%   run([cast | [Batch, [Seconds]]])   gen_server casts handled per second
%%   run([pairs | [K, [Seconds]]])      gen_server calls per second, in
%%                                      total, of K client/server pairs
%%   run([sockping | [K, [Seconds]]])   K = 1: ns per 64-byte round trip
%%                                      over TCP loopback; K > 1: round
%%                                      trips per second of K such pairs
%%   run([sup_start | [N, [time | memory]]])
%%                                      microseconds / resident bytes per
%%                                      idle gen_server started under a
%%                                      simple_one_for_one supervisor
%%   run([idle | [N, [spawn | memory]]])
%%                                      seconds to spawn N processes that
%%                                      wait in receive / resident bytes
%%                                      per process while they all wait
%%   run([kill, N])                     microseconds per process killed
%%   run([sup_scale, N | [static | dynamic]])
%%                                      microseconds per child of a
%%                                      supervisor's whole life with N
%%                                      children: start and stop (static),
%%                                      start_child, terminate_child of
%%                                      half, stop (dynamic)
%%   run([sup_tree | [N, [PerSup, [time | memory]]]])
%%                                      microseconds / resident bytes per
%%                                      idle gen_server of N under N/PerSup
%%                                      simple_one_for_one supervisors
%%   run([restart | [N, [median | p99, [Batch]]]])
%%                                      microseconds from a call that
%%                                      crashes a supervised gen_server to
%%                                      its restarted successor's answer
%%   run([storm | [K, [Seconds]]])      restarts per second of one
%%                                      supervisor whose K children crash
%%                                      right after each restart
%%
%% The gen_server twins (call, cast, pairs, and the children of the
%% supervisor twins) use this module as the server's callback module
%% (init/1, handle_call/3, handle_cast/2, handle_continue/2 below), and
%% the supervisor twins as the supervisor's (init({sup, Flags, Specs})).
%%
%% (`-s erlang halt' ends the VM at once; `-s init stop' takes about a
%% second longer.) Arguments may be atoms (from -s), strings (from -run) or
%% numbers (from -eval).
-module(otter_bench).
-behaviour(gen_server).

-export([run/1, pingpong/1, ring/2, spawn_rate/2, crash_cost/1, zero/0,
         call_time/1, call_backlog/2, cast_rate/2, pairs_rate/2, sockping/2,
         sup_start/2,
         idle/2, sup_tree/3, sup_scale/2, restart_latency/3, storm_rate/2,
         kill_cost/1]).
-export([init/1, handle_call/3, handle_cast/2, handle_continue/2]).

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
            {call_backlog, [N]} ->
                {fun() -> call_backlog(N, ?SECONDS) end, 1};
            {call_backlog, [N, S]} -> {fun() -> call_backlog(N, S) end, 1};
            {cast, []} -> {fun() -> cast_rate(1000, ?SECONDS) end, 0};
            {cast, [B]} -> {fun() -> cast_rate(B, ?SECONDS) end, 0};
            {cast, [B, S]} -> {fun() -> cast_rate(B, S) end, 0};
            {pairs, []} -> {fun() -> pairs_rate(2, ?SECONDS) end, 0};
            {pairs, [K]} -> {fun() -> pairs_rate(K, ?SECONDS) end, 0};
            {pairs, [K, S]} -> {fun() -> pairs_rate(K, S) end, 0};
            {sockping, []} -> {fun() -> sockping(1, ?SECONDS) end, 1};
            {sockping, [K]} -> {fun() -> sockping(K, ?SECONDS) end,
                                sockping_decimals(K)};
            {sockping, [K, S]} -> {fun() -> sockping(K, S) end,
                                   sockping_decimals(K)};
            {sup_start, []} -> {fun() -> sup_start(100000, time) end, 3};
            {sup_start, [N]} -> {fun() -> sup_start(N, time) end, 3};
            {sup_start, [N, R]} -> {fun() -> sup_start(N, R) end,
                                    case R of memory -> 0; _ -> 3 end};
            {idle, []} -> {fun() -> idle(1000000, spawn) end, 3};
            {idle, [N]} -> {fun() -> idle(N, spawn) end, 3};
            {idle, [N, R]} -> {fun() -> idle(N, R) end,
                               case R of memory -> 0; _ -> 3 end};
            {kill, [N]} -> {fun() -> kill_cost(N) end, 3};
            {sup_scale, [N]} -> {fun() -> sup_scale(N, static) end, 3};
            {sup_scale, [N, W]} -> {fun() -> sup_scale(N, W) end, 3};
            {sup_tree, []} ->
                {fun() -> sup_tree(1000000, 1000, time) end, 3};
            {sup_tree, [N]} -> {fun() -> sup_tree(N, 1000, time) end, 3};
            {sup_tree, [N, K]} -> {fun() -> sup_tree(N, K, time) end, 3};
            {sup_tree, [N, K, R]} -> {fun() -> sup_tree(N, K, R) end,
                                      case R of memory -> 0; _ -> 3 end};
            {restart, []} -> {fun() -> restart_latency(2000, 50, 100) end, 2};
            {restart, [N]} -> {fun() -> restart_latency(N, 50, 100) end, 2};
            {restart, [N, R]} ->
                {fun() -> restart_latency(N, pct(R), 100) end, 2};
            {restart, [N, R, B]} ->
                {fun() -> restart_latency(N, pct(R), B) end, 2};
            {storm, []} -> {fun() -> storm_rate(100, 5) end, 0};
            {storm, [K]} -> {fun() -> storm_rate(K, 5) end, 0};
            {storm, [K, S]} -> {fun() -> storm_rate(K, S) end, 0};
            _ -> erlang:error({bad_arguments, [Name | Args0]})
        end,
    case to_atom(Name) of
        %% Each crash would log an error report: drop them (see crash_cost).
        crash -> ok = logger:set_primary_config(level, none);
        %% The supervisor twins drop the crash, supervisor and progress
        %% reports likewise (the C programs count them, print none).
        sup_start -> ok = logger:set_primary_config(level, none);
        sup_tree -> ok = logger:set_primary_config(level, none);
        sup_scale -> ok = logger:set_primary_config(level, none);
        restart -> ok = logger:set_primary_config(level, none);
        storm -> ok = logger:set_primary_config(level, none);
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

init({sup, Flags, Specs}) -> {ok, {Flags, Specs}};     % the supervisors
init({idle, I}) -> {ok, I};                             % sup_start's children
init({storm, Flag, Count}) ->                           % storm's children
    counters:add(Count, 1, 1),
    {ok, Flag, {continue, crash}};
init(_) -> {ok, 0}.

handle_call(V, _From, C) when is_integer(V) -> {reply, V + 1, C};
handle_call(sync, _From, C) -> {reply, C, 0};
handle_call(crash, _From, C) -> {reply, 1 / ?MODULE:zero(), C}. % restart

handle_cast(crash, S) -> {noreply, S + 1 / ?MODULE:zero()};     % storm
handle_cast(K, K) -> {noreply, K + 1}.

%% storm's children: fault right after each start while the flag is set.
handle_continue(crash, Flag) ->
    case atomics:get(Flag, 1) of
        1 -> {noreply, 1 / ?MODULE:zero()};
        _ -> {noreply, Flag}
    end.

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

%% Call with a backlog: as call, with N unrelated messages waiting in the
%% head's mailbox all along (bench_call.c --size N). gen_server:call's
%% receive marker makes each reply's receive skip them.

call_backlog(N, Secs) ->
    Self = self(),
    _ = [Self ! {junk, I} || I <- lists:seq(1, N)],
    Ns = call_time(Secs),
    {message_queue_len, N} = process_info(Self, message_queue_len),
    Ns.

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
%% Sockping: K pairs of processes, each pair connected over TCP loopback
%% (127.0.0.1, an ephemeral port; {active, false}, binary, {nodelay,
%% true}), ping-pong a 64-byte message: the pinger sends its sequence number
%% and a fixed pattern, reads exactly 64 bytes back (gen_tcp:recv(S, 64))
%% and checks them; the echo reads exactly 64 and sends them back. The
%% deadlines and the count are pairs_rate's (a look at the clock every 16
%% round trips). One pair: ns per round trip; K > 1: round trips per second
%% of all pairs together. bench_sockping.c.

-define(SOCK_OPTS, [binary, {active, false}, {nodelay, true}]).
%% The 56 bytes after the sequence number: 8, 9, ..., 63, as in C.
-define(SOCK_PAD, << <<B>> || B <- lists:seq(8, 63) >>).

sockping_decimals(1) -> 1;
sockping_decimals(_) -> 0.

sockping(K, Secs) when is_integer(K), K >= 1 ->
    Head = self(),
    {ok, L} = gen_tcp:listen(0, [{ip, {127, 0, 0, 1}}, {backlog, 128}
                                 | ?SOCK_OPTS]),
    {ok, Port} = inet:port(L),
    Pingers = [sock_pair(L, Port, Head) || _ <- lists:seq(1, K)],
    ok = gen_tcp:close(L),
    WarmEnd = now_ns() + round(?WARMUP * 1.0e9),
    End = WarmEnd + round(Secs * 1.0e9),
    _ = [P ! {go, WarmEnd, End} || P <- Pingers],
    Counts = [receive {count, P, N, T0, T1} -> {N, T0, T1} end
              || P <- Pingers],
    _ = [receive {sock_done, _} -> ok end || _ <- Pingers],
    Total = lists:sum([N || {N, _, _} <- Counts]),
    Span = lists:max([T1 || {_, _, T1} <- Counts]) -
        lists:min([T0 || {_, T0, _} <- Counts]),
    case K of
        1 -> Span / Total;
        _ -> Total / (Span / 1.0e9)
    end.

%% Connects one pair; the pinger and the echo own their sockets.
sock_pair(L, Port, Head) ->
    {ok, C} = gen_tcp:connect({127, 0, 0, 1}, Port, ?SOCK_OPTS),
    {ok, S} = gen_tcp:accept(L),
    ok = inet:setopts(S, ?SOCK_OPTS),
    Echo = spawn_link(fun() -> sock_echo(Head) end),
    Pinger = spawn_link(fun() -> sock_pinger(Head) end),
    ok = gen_tcp:controlling_process(S, Echo),
    ok = gen_tcp:controlling_process(C, Pinger),
    Echo ! {socket, S},
    Pinger ! {socket, C},
    Pinger.

sock_echo(Head) ->
    receive {socket, S} -> ok end,
    sock_echo_loop(S),
    ok = gen_tcp:close(S),
    Head ! {sock_done, self()}.

sock_echo_loop(S) ->
    case gen_tcp:recv(S, 64) of
        {ok, B} -> ok = gen_tcp:send(S, B), sock_echo_loop(S);
        {error, closed} -> ok
    end.

sock_pinger(Head) ->
    receive {socket, S} -> ok end,
    receive {go, WarmEnd, End} -> ok end,
    Pad = ?SOCK_PAD,
    {T0, Seq} = sock_warm(S, Pad, WarmEnd, 0),
    {N, T1} = sock_count(S, Pad, End, Seq, 0),
    ok = gen_tcp:close(S),
    Head ! {count, self(), N, T0, T1}.

sock_warm(S, Pad, WarmEnd, Seq) ->
    case now_ns() of
        T when T >= WarmEnd -> {T, Seq};
        _ -> sock_warm(S, Pad, WarmEnd, sock_rounds(S, Pad, Seq, ?PAIRS_CHUNK))
    end.

sock_count(S, Pad, End, Seq, N) ->
    case now_ns() of
        T when T >= End -> {N, T};
        _ -> sock_count(S, Pad, End, sock_rounds(S, Pad, Seq, ?PAIRS_CHUNK),
                        N + ?PAIRS_CHUNK)
    end.

%% K round trips; returns the next sequence number. The number goes out
%% little-endian, as the C pinger's memcpy puts it on x86-64.
sock_rounds(_, _, Seq, 0) -> Seq;
sock_rounds(S, Pad, Seq, K) ->
    Msg = <<Seq:64/little, Pad/binary>>,
    ok = gen_tcp:send(S, Msg),
    case gen_tcp:recv(S, 64) of
        {ok, Msg} -> sock_rounds(S, Pad, Seq + 1, K - 1);
        Other -> erlang:error({sockping_wrong_reply, Other})
    end.

%% ---------------------------------------------------------------------------
%% Supervisors. Flags: intensity 1000000 restarts in 1 s (OTP's shortest
%% period), so that restart and storm never reach it; children are
%% brutal_kill, so that stopping 100,000 of them takes no time.

start_sup(Flags, Specs) ->
    {ok, Sup} = supervisor:start_link(?MODULE, {sup, Flags, Specs}),
    Sup.

stop_sup(Sup) ->
    unlink(Sup),
    ok = gen_server:stop(Sup, normal, infinity).

%% The resident set size of the emulator, in bytes.
rss() ->
    {ok, Statm} = file:read_file("/proc/self/statm"),
    [_, Pages | _] = binary:split(Statm, <<" ">>, [global]),
    binary_to_integer(Pages) * 4096.

%% ---------------------------------------------------------------------------
%% Sup_start: one process starts N idle gen_servers, one after the other,
%% under a simple_one_for_one supervisor; microseconds per child (time) or
%% resident bytes per child (memory: the emulator's RSS growth over the
%% loop / N). bench_sup_start.c.

sup_start(N, Report) when is_integer(N), N >= 1 ->
    Tmpl = #{id => idle, start => {gen_server, start_link, [?MODULE]},
             restart => permanent, shutdown => brutal_kill, type => worker},
    Sup = start_sup(#{strategy => simple_one_for_one}, [Tmpl]),
    Rss0 = rss(),
    Mem0 = erlang:memory(total),
    T0 = now_ns(),
    start_idle(Sup, 0, N),
    Ns = now_ns() - T0,
    Rss1 = rss(),
    Mem1 = erlang:memory(total),
    N = proplists:get_value(active, supervisor:count_children(Sup)),
    stop_sup(Sup),
    io:format(standard_error, "note: erlang:memory(total) grew ~b B per "
              "child, RSS ~b B~n", [(Mem1 - Mem0) div N, (Rss1 - Rss0) div N]),
    case to_atom(Report) of
        time -> Ns / 1.0e3 / N;
        memory -> (Rss1 - Rss0) / N
    end.

start_idle(_, N, N) -> ok;
start_idle(Sup, I, N) ->
    {ok, _} = supervisor:start_child(Sup, [{idle, I}, []]),
    start_idle(Sup, I + 1, N).

%% ---------------------------------------------------------------------------
%% Sup_scale: whether a supervisor's costs grow faster than its children.
%% Idle gen_servers (permanent, shutdown 5000, as the worker's default).
%% static: supervisor:start_link/2 whose init returns N child specs (built
%% beforehand), then gen_server:stop/3; dynamic: N start_child under a
%% simple_one_for_one supervisor, terminate_child of the first half (in
%% start order, one at a time), then the stop with the other half running.
%% Kill: the head traps exits, spawn_links N processes that wait in
%% receive (untimed), then, timed, does to each what the supervisor does to
%% brutal_kill a child (monitor, unlink, exit(Pid, kill)) and takes the N
%% 'DOWN's. Microseconds per process; the kill loop's share on stderr as a
%% note. bench_kill.c.

kill_cost(N) when is_integer(N), N >= 1 ->
    process_flag(trap_exit, true),
    Self = self(),
    Pids = [spawn_link(fun() -> Self ! {waiting, self()}, kill_wait() end)
            || _ <- lists:seq(1, N)],
    [receive {waiting, P} -> ok end || P <- Pids],
    T0 = now_ns(),
    lists:foreach(fun(P) ->
                          erlang:monitor(process, P),
                          unlink(P),
                          exit(P, kill)
                  end, Pids),
    T1 = now_ns(),
    kill_downs(N),
    T2 = now_ns(),
    io:format(standard_error, "note: N=~b: kills ~.3f us/process, all DOWNs "
              "~.3f us/process~n",
              [N, (T1 - T0) / 1.0e3 / N, (T2 - T0) / 1.0e3 / N]),
    (T2 - T0) / 1.0e3 / N.

kill_wait() -> receive _ -> kill_wait() end.

kill_downs(0) -> ok;
kill_downs(K) ->
    receive {'DOWN', _, process, _, killed} -> kill_downs(K - 1) end.

%% Microseconds per child for all of it; each phase on stderr as a note,
%% with the CPU time of the phases per child (statistics(runtime), in
%% ms: coarse at 1,000 children). bench_sup_scale.c.

sup_scale(N, Shape) when is_integer(N), N >= 1 ->
    Child = #{restart => permanent, shutdown => 5000, type => worker},
    case to_atom(Shape) of
        static ->
            Specs = [Child#{id => I,
                            start => {gen_server, start_link,
                                      [?MODULE, {idle, I}, []]}}
                     || I <- lists:seq(0, N - 1)],
            C0 = cpu_ms(),
            T0 = now_ns(),
            Sup = start_sup(#{strategy => one_for_one}, Specs),
            T1 = now_ns(),
            N = proplists:get_value(active, supervisor:count_children(Sup)),
            T2 = now_ns(),
            stop_sup(Sup),
            T3 = now_ns(),
            C1 = cpu_ms(),
            io:format(standard_error, "note: static N=~b: start ~.3f "
                      "us/child, stop ~.3f us/child (cpu ~.3f us/child)~n",
                      [N, (T1 - T0) / 1.0e3 / N, (T3 - T2) / 1.0e3 / N,
                       (C1 - C0) * 1.0e3 / N]),
            ((T1 - T0) + (T3 - T2)) / 1.0e3 / N;
        dynamic ->
            Tmpl = Child#{id => idle,
                          start => {gen_server, start_link, [?MODULE]}},
            Sup = start_sup(#{strategy => simple_one_for_one}, [Tmpl]),
            C0 = cpu_ms(),
            T0 = now_ns(),
            Pids = start_scale(Sup, 0, N, []),
            T1 = now_ns(),
            N = proplists:get_value(active, supervisor:count_children(Sup)),
            Half = N div 2,
            {First, _} = lists:split(Half, Pids),
            T2 = now_ns(),
            _ = [ok = supervisor:terminate_child(Sup, P) || P <- First],
            T3 = now_ns(),
            Left = N - Half,
            Left = proplists:get_value(active, supervisor:count_children(Sup)),
            T4 = now_ns(),
            stop_sup(Sup),
            T5 = now_ns(),
            C1 = cpu_ms(),
            io:format(standard_error, "note: dynamic N=~b: start_child ~.3f "
                      "us/child, terminate_child ~.3f us/child (~b), stop "
                      "~.3f us/child (~b) (cpu ~.3f us/child)~n",
                      [N, (T1 - T0) / 1.0e3 / N,
                       (T3 - T2) / 1.0e3 / max(Half, 1), Half,
                       (T5 - T4) / 1.0e3 / Left, Left,
                       (C1 - C0) * 1.0e3 / N]),
            ((T1 - T0) + (T3 - T2) + (T5 - T4)) / 1.0e3 / N
    end.

%% The CPU time of every scheduler, in ms.
cpu_ms() ->
    {Ms, _} = statistics(runtime),
    Ms.

%% The pids in start order.
start_scale(_, N, N, Acc) -> lists:reverse(Acc);
start_scale(Sup, I, N, Acc) ->
    {ok, P} = supervisor:start_child(Sup, [{idle, I}, []]),
    start_scale(Sup, I + 1, N, [P | Acc]).

%% ---------------------------------------------------------------------------
%% Sup_tree: a simple_one_for_one top supervisor whose children are
%% simple_one_for_one supervisors (shutdown infinity) of idle gen_servers,
%% as in sup_start. One process starts N div PerSup of them and, under
%% each right after it, PerSup children ({idle, I}, I the index in the
%% tree); microseconds (time) or the beam's RSS growth in bytes (memory)
%% per child, the supervisors included. bench_sup_tree.c.

sup_tree(N, PerSup, Report) when is_integer(N), is_integer(PerSup),
                                 PerSup >= 1, N >= PerSup,
                                 N rem PerSup =:= 0 ->
    Idle = #{id => idle, start => {gen_server, start_link, [?MODULE]},
             restart => permanent, shutdown => brutal_kill, type => worker},
    LeafArgs = [?MODULE, {sup, #{strategy => simple_one_for_one}, [Idle]}],
    Leaf = #{id => leaf, start => {supervisor, start_link, LeafArgs},
             restart => permanent, shutdown => infinity, type => supervisor},
    Top = start_sup(#{strategy => simple_one_for_one}, [Leaf]),
    NSup = N div PerSup,
    Rss0 = rss(),
    Mem0 = erlang:memory(total),
    T0 = now_ns(),
    Leaves = start_leaves(Top, 0, NSup, PerSup, []),
    Ns = now_ns() - T0,
    Rss1 = rss(),
    Mem1 = erlang:memory(total),
    NSup = proplists:get_value(active, supervisor:count_children(Top)),
    _ = [PerSup = proplists:get_value(active, supervisor:count_children(L))
         || L <- Leaves],
    stop_sup(Top),
    io:format(standard_error, "note: erlang:memory(total) grew ~b B per "
              "child, RSS ~b B~n", [(Mem1 - Mem0) div N, (Rss1 - Rss0) div N]),
    case to_atom(Report) of
        time -> Ns / 1.0e3 / N;
        memory -> (Rss1 - Rss0) / N
    end.

start_leaves(_, NSup, NSup, _, Acc) -> Acc;
start_leaves(Top, S, NSup, PerSup, Acc) ->
    {ok, L} = supervisor:start_child(Top, []),
    start_idle(L, S * PerSup, (S + 1) * PerSup),
    start_leaves(Top, S + 1, NSup, PerSup, [L | Acc]).

%% ---------------------------------------------------------------------------
%% Idle: the head spawns N processes, keeping their pids in a list; each
%% adds one to a counter and waits in receive. The head yields until the
%% counter is N (the spawn time), checks that every one is waiting
%% (process_info status; untimed) and reads the RSS; then it sends each a
%% message, after which each adds one to a second counter and ends. The
%% counters are in a persistent_term, so that no process copies them.
%% Seconds to spawn (spawn) or the beam's RSS growth per process while all
%% wait (memory). bench_idle.c.

idle(N, Report) when is_integer(N), N >= 1 ->
    persistent_term:put(?MODULE, counters:new(2, [atomics])),
    Rss0 = rss(),
    Mem0 = erlang:memory(total),
    T0 = now_ns(),
    Pids = spawn_idle(N, []),
    wait_count(1, N),
    Ns = now_ns() - T0,
    all_waiting(Pids),
    Rss1 = rss(),
    Mem1 = erlang:memory(total),
    W0 = now_ns(),
    lists:foreach(fun(P) -> P ! wake end, Pids),
    wait_count(2, N),
    Wake = now_ns() - W0,
    io:format(standard_error, "note: ~b processes: spawned in ~.3f s, ~b B "
              "resident each (RSS ~.1f -> ~.1f MiB), erlang:memory(total) "
              "~b B each; woken and ended in ~.3f s~n",
              [N, Ns / 1.0e9, (Rss1 - Rss0) div N, Rss0 / 1048576,
               Rss1 / 1048576, (Mem1 - Mem0) div N, Wake / 1.0e9]),
    case to_atom(Report) of
        spawn -> Ns / 1.0e9;
        memory -> (Rss1 - Rss0) / N
    end.

spawn_idle(0, Acc) -> Acc;
spawn_idle(K, Acc) -> spawn_idle(K - 1, [spawn(fun idle_child/0) | Acc]).

idle_child() ->
    C = persistent_term:get(?MODULE),
    counters:add(C, 1, 1),
    receive wake -> counters:add(C, 2, 1) end.

wait_count(Ix, N) ->
    case counters:get(persistent_term:get(?MODULE), Ix) of
        C when C >= N -> ok;
        _ -> erlang:yield(), wait_count(Ix, N)
    end.

all_waiting([]) -> ok;
all_waiting([P | Ps] = All) ->
    case process_info(P, status) of
        {status, waiting} -> all_waiting(Ps);
        _ -> erlang:yield(), all_waiting(All)
    end.

%% ---------------------------------------------------------------------------
%% Restart: a one_for_one supervisor with one child registered as
%% bench_victim. Each sample: a call that makes the child fail with
%% badarith (the caller catches it), then calls until the restarted child
%% answers (retrying, after erlang:yield(), while the name is not
%% registered); microseconds, median (P = 50) or 99th percentile.
%%
%% The samples are taken in batches of Batch restarts, each under a fresh
%% supervisor (started and stopped outside the timing) and after one
%% untimed restart; one untimed batch goes first. A supervisor keeps the
%% times of its restarts within the period in a list that it copies at
%% each restart (supervisor:add_restart/3), so under one supervisor the
%% latency grows with the restarts of the last second (to ~100 us after
%% 2,000): batches measure the restart itself. The storm figure shows the
%% other effect. bench_restart.c.

restart_latency(N, P, Batch) when is_integer(N), N >= 1, is_integer(Batch),
                                  Batch >= 1 ->
    Child = #{id => victim,
              start => {gen_server, start_link,
                        [{local, bench_victim}, ?MODULE, victim, []]},
              restart => permanent, shutdown => brutal_kill},
    Flags = #{strategy => one_for_one, intensity => 1000000, period => 1},
    Sample = fun(B) ->
                     Sup = start_sup(Flags, [Child]),
                     _ = restart_once(),
                     S = [restart_once() || _ <- lists:seq(1, B)],
                     stop_sup(Sup),
                     S
             end,
    _ = Sample(min(Batch, N)),
    Samples = lists:sort(restart_batches(Sample, N, Batch, [])),
    percentile(Samples, P) / 1.0e3.

restart_batches(_, 0, _, Acc) -> Acc;
restart_batches(Sample, N, Batch, Acc) ->
    B = min(N, Batch),
    restart_batches(Sample, N - B, Batch, Sample(B) ++ Acc).

restart_once() ->
    T0 = now_ns(),
    try gen_server:call(bench_victim, crash, ?CALL_TIMEOUT) of
        R -> erlang:error({no_crash, R})
    catch exit:{{badarith, _}, _} -> ok
    end,
    restarted(),
    now_ns() - T0.

restarted() ->
    try gen_server:call(bench_victim, 1, ?CALL_TIMEOUT) of
        2 -> ok
    catch exit:{noproc, _} -> erlang:yield(), restarted()
    end.

pct(median) -> 50;
pct(p99) -> 99.

%% Nearest rank, as bench_percentile() in bench_sup.h.
percentile(Sorted, P) ->
    N = length(Sorted),
    lists:nth(max(1, min(N, (N * P + 99) div 100)), Sorted).

%% ---------------------------------------------------------------------------
%% Storm: a one_for_one supervisor with K permanent children; each child's
%% init adds 1 to a counter and returns {continue, crash}; handle_continue
%% fails with badarith while the flag is set. The children start with the
%% flag clear; then it is set and each child is cast a message that makes
%% it fail, and from then on every restarted child fails at once. After
%% the warmup, restarts (inits) are counted in windows of one second over
%% Secs; the rate over the whole span is the figure, the windows go to
%% standard_error with restarts per second of the emulator's CPU time
%% (statistics(runtime): all schedulers). bench_storm.c.

storm_rate(K, Secs) when is_integer(K), K >= 1 ->
    Flag = atomics:new(1, []),
    Count = counters:new(1, [write_concurrency]),
    Specs = [#{id => {storm, I},
               start => {gen_server, start_link,
                         [?MODULE, {storm, Flag, Count}, []]},
               restart => permanent, shutdown => brutal_kill}
             || I <- lists:seq(1, K)],
    Sup = start_sup(#{strategy => one_for_one, intensity => 1000000,
                      period => 1}, Specs),
    Pids = [P || {_, P, _, _} <- supervisor:which_children(Sup)],
    K = length(Pids),
    atomics:put(Flag, 1, 1),
    _ = [gen_server:cast(P, crash) || P <- Pids],
    timer:sleep(round(?WARMUP * 1000)),
    Win = min(1.0, Secs),
    NWin = max(1, round(Secs / Win)),
    C0 = counters:get(Count, 1),
    {Cpu0, _} = statistics(runtime),
    T0 = now_ns(),
    {Rates, C1, T1} = storm_windows(Count, T0, round(Win * 1.0e9), NWin,
                                    1, C0, T0, []),
    {Cpu1, _} = statistics(runtime),
    Cpu = max(1, Cpu1 - Cpu0) / 1.0e3,
    atomics:put(Flag, 1, 0),
    stop_sup(Sup),
    io:format(standard_error,
              "note: restarts/s in ~b ms windows:~s; slowest/fastest ~.2f; "
              "~b restarts per CPU second (CPU ~b%)~n",
              [round(Win * 1000),
               [[$\s | integer_to_list(round(R))] || R <- Rates],
               lists:min(Rates) / max(1.0e-9, lists:max(Rates)),
               round((C1 - C0) / Cpu), round(100 * Cpu / ((T1 - T0) / 1.0e9))]),
    (C1 - C0) / ((T1 - T0) / 1.0e9).

storm_windows(_, _, _, NWin, W, C, T, Acc) when W > NWin ->
    {lists:reverse(Acc), C, T};
storm_windows(Count, T0, WinNs, NWin, W, Cw, Tw, Acc) ->
    End = T0 + W * WinNs,
    case End - now_ns() of
        Left when Left > 0 -> timer:sleep((Left + 999999) div 1000000);
        _ -> ok
    end,
    C = counters:get(Count, 1),
    T = now_ns(),
    storm_windows(Count, T0, WinNs, NWin, W + 1, C, T,
                  [(C - Cw) / ((T - Tw) / 1.0e9) | Acc]).

%% ---------------------------------------------------------------------------

to_atom(A) when is_atom(A) -> A;
to_atom(L) when is_list(L) -> list_to_atom(L).

%% Numbers become numbers; words (time, memory, median, p99) stay atoms.
to_num(N) when is_number(N) -> N;
to_num(A) when is_atom(A) -> to_num(atom_to_list(A));
to_num(L) when is_list(L) ->
    try list_to_integer(L)
    catch error:badarg ->
            try list_to_float(L)
            catch error:badarg -> list_to_atom(L)
            end
    end.
