%% SPDX-License-Identifier: MIT
%% kv_server — the Erlang twin of examples/kv/kv-server, for bench/run kv.
%%
%% The same service, built the way the Mix/OTP guide builds it, in plain
%% Erlang/OTP: buckets are gen_servers holding a map, started as temporary
%% children of a simple_one_for_one supervisor; the registry is a
%% gen_server mapping names to bucket pids, monitoring each bucket; a
%% one_for_all supervisor holds the two. Each client connection is served
%% by its own process (a temporary child of another simple_one_for_one
%% supervisor), reading lines with gen_tcp in passive mode ({packet, line})
%% and calling the registry, then the bucket, for each command:
%%
%%   CREATE <bucket>              -> OK
%%   PUT <bucket> <key> <value>   -> OK
%%   GET <bucket> <key>           -> <value> (empty if absent), then OK
%%   DELETE <bucket> <key>        -> OK
%%   unknown bucket -> NOT FOUND; anything else -> UNKNOWN COMMAND
%%
%% Start it (it runs until killed):
%%
%%   erl -noshell -pa DIR -s kv_server start 4041
%%
%% bench/kv_load drives it exactly as it drives the C server.
-module(kv_server).
-behaviour(gen_server).

-export([start/1, start_conn/0, start_bucket/0]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-define(CALL_TIMEOUT, 5000).

%% From -s: the port comes as an atom.
start([Port]) when is_atom(Port) ->
    start([list_to_integer(atom_to_list(Port))]);
start([Port]) when is_integer(Port) ->
    Self = self(),
    %% A process that lives as long as the VM holds the supervisors'
    %% links and the listening socket.
    spawn(fun() -> owner(Port, Self) end),
    receive
        {kv_server, started} -> ok;
        {kv_server, Error} -> io:format(standard_error, "kv_server: ~p~n",
                                        [Error]),
                              erlang:halt(2)
    end.

owner(Port, Parent) ->
    {ok, _} = supervisor:start_link({local, kv_top}, ?MODULE, {sup, top}),
    {ok, _} = supervisor:start_link({local, kv_conn_sup}, ?MODULE,
                                    {sup, conns}),
    case gen_tcp:listen(Port, [binary, {packet, line}, {active, false},
                               {reuseaddr, true}, {nodelay, true},
                               {backlog, 1024}, {ip, {127, 0, 0, 1}}]) of
        {ok, Listen} ->
            Parent ! {kv_server, started},
            accept(Listen);
        {error, Reason} ->
            Parent ! {kv_server, {listen, Port, Reason}}
    end.

accept(Listen) ->
    {ok, Sock} = gen_tcp:accept(Listen),
    {ok, Pid} = supervisor:start_child(kv_conn_sup, []),
    ok = gen_tcp:controlling_process(Sock, Pid),
    Pid ! {go, Sock},
    accept(Listen).

%% --- Connections -------------------------------------------------------

start_conn() ->
    {ok, proc_lib:spawn_link(fun() -> receive {go, S} -> serve(S) end end)}.

serve(Sock) ->
    case gen_tcp:recv(Sock, 0) of
        {ok, Line} ->
            Words = binary:split(Line, [<<" ">>, <<"\r">>, <<"\n">>],
                                 [global, trim_all]),
            ok = gen_tcp:send(Sock, command(Words)),
            serve(Sock);
        {error, _} ->
            gen_tcp:close(Sock)
    end.

command([<<"CREATE">>, B]) ->
    ok = gen_server:call(kv_registry, {create, B}, ?CALL_TIMEOUT),
    <<"OK\r\n">>;
command([<<"PUT">>, B, K, V]) ->
    in_bucket(B, {put, K, V});
command([<<"GET">>, B, K]) ->
    in_bucket(B, {get, K});
command([<<"DELETE">>, B, K]) ->
    in_bucket(B, {delete, K});
command(_) ->
    <<"UNKNOWN COMMAND\r\n">>.

in_bucket(B, Request) ->
    case gen_server:call(kv_registry, {lookup, B}, ?CALL_TIMEOUT) of
        {ok, Pid} ->
            case gen_server:call(Pid, Request, ?CALL_TIMEOUT) of
                ok -> <<"OK\r\n">>;
                {value, V} -> [V, <<"\r\nOK\r\n">>]
            end;
        error ->
            <<"NOT FOUND\r\n">>
    end.

%% --- Supervisors, registry and buckets ---------------------------------

start_bucket() ->
    gen_server:start_link(?MODULE, bucket, []).

init({sup, top}) ->
    {ok, {#{strategy => one_for_all, intensity => 3, period => 5},
          [#{id => buckets, type => supervisor,
             start => {supervisor, start_link,
                       [{local, kv_bucket_sup}, ?MODULE, {sup, buckets}]}},
           #{id => registry,
             start => {gen_server, start_link,
                       [{local, kv_registry}, ?MODULE, registry, []]}}]}};
init({sup, buckets}) ->
    {ok, {#{strategy => simple_one_for_one},
          [#{id => bucket, restart => temporary,
             start => {?MODULE, start_bucket, []}}]}};
init({sup, conns}) ->
    {ok, {#{strategy => simple_one_for_one},
          [#{id => conn, restart => temporary, shutdown => brutal_kill,
             start => {?MODULE, start_conn, []}}]}};
init(registry) ->
    {ok, {#{}, #{}}};    % {Name => Pid, MonitorRef => Name}
init(bucket) ->
    {ok, #{}}.          % Key => Value

%% The registry.
handle_call({lookup, Name}, _From, {Names, _} = St) ->
    {reply, maps:find(Name, Names), St};
handle_call({create, Name}, _From, {Names, Refs} = St) ->
    case maps:is_key(Name, Names) of
        true ->
            {reply, ok, St};
        false ->
            {ok, Pid} = supervisor:start_child(kv_bucket_sup, []),
            Ref = erlang:monitor(process, Pid),
            {reply, ok, {Names#{Name => Pid}, Refs#{Ref => Name}}}
    end;
%% A bucket.
handle_call({get, K}, _From, Map) ->
    {reply, {value, maps:get(K, Map, <<>>)}, Map};
handle_call({put, K, V}, _From, Map) ->
    {reply, ok, Map#{K => V}};
handle_call({delete, K}, _From, Map) ->
    {reply, ok, maps:remove(K, Map)}.

handle_cast(_, St) ->
    {noreply, St}.

handle_info({'DOWN', Ref, process, _, _}, {Names, Refs}) ->
    {Name, Refs1} = maps:take(Ref, Refs),
    {noreply, {maps:remove(Name, Names), Refs1}};
handle_info(_, St) ->
    {noreply, St}.
