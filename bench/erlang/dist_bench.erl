%% SPDX-License-Identifier: MIT
%% dist_bench — bench/run dist: gen_server calls from an Erlang node to a
%% server on another node, an otter one (bench/bench_dist) or an Erlang
%% one (server/0 here, the twin): the same echo server, registered as
%% bench_echo, answering each call with its request.
%%
%%   erl -noshell -name S@127.0.0.1 -setcookie C -s dist_bench server
%%       the Erlang server node; prints "ready", runs until killed
%%   erl -noshell -name K@127.0.0.1 -setcookie C \
%%       -s dist_bench client NODE CALLERS SECONDS
%%       CALLERS processes call {bench_echo, NODE} in a loop, 0.5 s of
%%       warm-up, then SECONDS counted; prints "<calls/s> <us per call>"
%%       (the mean round trip a caller sees) and halts.
-module(dist_bench).
-behaviour(gen_server).

-export([server/0, client/1]).
-export([init/1, handle_call/3, handle_cast/2]).

server() ->
    {ok, _} = gen_server:start({local, bench_echo}, ?MODULE, [], []),
    io:format("ready~n").

init([]) -> {ok, nostate}.
handle_call(Request, _From, State) -> {reply, Request, State}.
handle_cast(_Request, State) -> {noreply, State}.

client([Node, Callers, Seconds]) ->
    N = list_to_integer(atom_to_list(Callers)),
    T = list_to_float(atom_to_list(Seconds)),
    pong = net_adm:ping(Node),
    Target = {bench_echo, Node},
    Request = {get, <<"milk">>},
    Request = gen_server:call(Target, Request),
    _ = run(Target, Request, N, 0.5),
    {Calls, Us} = run(Target, Request, N, T),
    Rate = Calls * 1.0e6 / Us,
    io:format("~.1f ~.3f~n", [Rate, N * 1.0e6 / Rate]),
    halt().

%% N callers for S seconds: {calls, microseconds from start to the last
%% caller's end}.
run(Target, Request, N, S) ->
    Start = erlang:monotonic_time(microsecond),
    Deadline = Start + round(S * 1.0e6),
    Self = self(),
    Pids = [spawn_link(fun() -> Self ! {done, self(), loop(Target, Request,
                                                          Deadline, 0)}
                       end) || _ <- lists:seq(1, N)],
    Calls = lists:sum([receive {done, P, C} -> C end || P <- Pids]),
    {Calls, erlang:monotonic_time(microsecond) - Start}.

loop(Target, Request, Deadline, K) ->
    Request = gen_server:call(Target, Request),
    case erlang:monotonic_time(microsecond) < Deadline of
        true -> loop(Target, Request, Deadline, K + 1);
        false -> K + 1
    end.
