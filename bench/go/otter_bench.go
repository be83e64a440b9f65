// SPDX-License-Identifier: MIT
//
// otter_bench.go — the Go twins of otter's benchmarks (bench/run runs
// them next to the C programs and the Erlang twins; GOMAXPROCS is the
// figure's scheduler count). Each prints one number, in the unit of the C
// program it mirrors:
//
//	otter_bench pingpong SECONDS     ns per round trip (bench_pingpong)
//	otter_bench ring SIZE SECONDS    messages/s round a ring (bench_ring)
//	otter_bench spawn BATCH SECONDS  spawns/s, one done message each (bench_spawn)
//	otter_bench call SECONDS         ns per call (bench_call)
//	otter_bench cast BATCH SECONDS   casts/s (bench_cast)
//	otter_bench sockping K SECONDS   K = 1: ns per 64-byte TCP loopback
//	                                 round trip; K > 1: round trips/s of
//	                                 K pairs (bench_sockping)
//
// A goroutine is the closest thing Go has to a process, and a channel to
// a mailbox (one per goroutine, unbuffered where the C program waits for
// an answer). A call is a request on the server's channel carrying a
// reply channel, and the wait for the reply is bounded by a timer, as a
// gen_server call's is (5 s): without the timer a Go call would skip the
// work that makes a call a call. Standard library only.
package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"
)

const (
	chunk       = 1024
	sockChunk   = 16 // round trips between two looks at the clock
	sockMsg     = 64
	warmup      = 100 * time.Millisecond
	callTimeout = 5 * time.Second
)

// forDuration repeats work until d has gone by (at least once); work
// returns how many units it did. Returns the units and the time.
func forDuration(work func() int, d time.Duration) (int, time.Duration) {
	t0 := time.Now()
	n := 0
	for {
		n += work()
		if e := time.Since(t0); e >= d {
			return n, e
		}
	}
}

func measure(work func() int, d time.Duration) (int, time.Duration) {
	forDuration(work, warmup)
	return forDuration(work, d)
}

func pingpong(d time.Duration) float64 {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v
		}
	}()
	n, e := measure(func() int {
		for k := 0; k < chunk; k++ {
			ping <- k
			if <-pong != k {
				panic("pingpong: wrong answer")
			}
		}
		return chunk
	}, d)
	close(ping)
	return float64(e.Nanoseconds()) / float64(n)
}

func ring(size int, d time.Duration) float64 {
	first := make(chan int, 1)
	next := first
	for i := 1; i < size; i++ {
		in := make(chan int, 1)
		go func(in, out chan int) {
			for v := range in {
				out <- v
			}
			close(out)
		}(in, next)
		next = in
	}
	head := next // the head sends here; the token comes back on first
	laps, e := measure(func() int {
		head <- 1
		<-first
		return 1
	}, d)
	close(head)
	for range first {
	}
	return float64(laps) * float64(size) / e.Seconds()
}

func spawn(batch int, d time.Duration) float64 {
	done := make(chan struct{}, batch)
	n, e := measure(func() int {
		for i := 0; i < batch; i++ {
			go func() { done <- struct{}{} }()
		}
		for i := 0; i < batch; i++ {
			<-done
		}
		return batch
	}, d)
	return float64(n) / e.Seconds()
}

type request struct {
	v     int
	reply chan int
}

// server answers v+1 to a call, counts casts (-1 - k: must come in
// order), and answers a sync (v == -1 << 30) with the count, resetting it.
func server(in chan request) {
	count := 0
	for r := range in {
		switch {
		case r.reply == nil:
			if -1-r.v != count {
				panic("cast: out of order")
			}
			count++
		case r.v == syncReq:
			r.reply <- count
			count = 0
		default:
			r.reply <- r.v + 1
		}
	}
}

const syncReq = -1 << 30

func call(in chan request, v int) int {
	reply := make(chan int, 1)
	in <- request{v, reply}
	t := time.NewTimer(callTimeout)
	defer t.Stop()
	select {
	case r := <-reply:
		return r
	case <-t.C:
		panic("call: timed out")
	}
}

func callTime(d time.Duration) float64 {
	in := make(chan request)
	go server(in)
	n, e := measure(func() int {
		for k := chunk; k > 0; k-- {
			if call(in, k) != k+1 {
				panic("call: wrong reply")
			}
		}
		return chunk
	}, d)
	close(in)
	return float64(e.Nanoseconds()) / float64(n)
}

func castRate(batch int, d time.Duration) float64 {
	in := make(chan request, 1024)
	go server(in)
	n, e := measure(func() int {
		for k := 0; k < batch; k++ {
			in <- request{-1 - k, nil}
		}
		if call(in, syncReq) != batch {
			panic("cast: not all handled")
		}
		return batch
	}, d)
	close(in)
	return float64(n) / e.Seconds()
}

// sockping: k pairs of goroutines, each pair connected over TCP loopback
// (127.0.0.1, an ephemeral port, SetNoDelay), ping-pong 64 bytes: the
// pinger writes its sequence number (little-endian) and the bytes 8..63,
// reads exactly 64 back (io.ReadFull) and checks them; the echo reads
// exactly 64 and writes them back. Deadlines and counts as in
// bench_pairs.c: one pair gives ns per round trip, k > 1 round trips per
// second of all pairs together.
func sockping(k int, d time.Duration) float64 {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	type count struct {
		n      int
		t0, t1 time.Time
	}
	counts, done := make(chan count), make(chan struct{})
	gos := make([]chan [2]time.Time, k)
	for i := range gos {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			panic(err)
		}
		s, err := ln.Accept()
		if err != nil {
			panic(err)
		}
		c.(*net.TCPConn).SetNoDelay(true)
		s.(*net.TCPConn).SetNoDelay(true)
		go func(s net.Conn) { // the echo
			buf := make([]byte, sockMsg)
			for {
				if _, err := io.ReadFull(s, buf); err != nil {
					break // io.EOF: the pinger closed its end
				}
				if _, err := s.Write(buf); err != nil {
					panic(err)
				}
			}
			s.Close()
			done <- struct{}{}
		}(s)
		gos[i] = make(chan [2]time.Time, 1)
		go func(c net.Conn, goc chan [2]time.Time) { // the pinger
			out, in := make([]byte, sockMsg), make([]byte, sockMsg)
			for j := range out {
				out[j] = byte(j)
			}
			seq := uint64(0)
			rounds := func() {
				for r := 0; r < sockChunk; r++ {
					binary.LittleEndian.PutUint64(out, seq)
					seq++
					if _, err := c.Write(out); err != nil {
						panic(err)
					}
					if _, err := io.ReadFull(c, in); err != nil {
						panic(err)
					}
					if !bytes.Equal(in, out) {
						panic("sockping: wrong reply")
					}
				}
			}
			dl := <-goc
			t := time.Now()
			for ; t.Before(dl[0]); t = time.Now() {
				rounds()
			}
			cnt := count{0, t, t}
			for t = time.Now(); t.Before(dl[1]); t = time.Now() {
				rounds()
				cnt.n += sockChunk
			}
			cnt.t1 = t
			c.Close()
			counts <- cnt
		}(c, gos[i])
	}
	ln.Close()
	warmEnd := time.Now().Add(warmup)
	for _, goc := range gos {
		goc <- [2]time.Time{warmEnd, warmEnd.Add(d)}
	}
	total, t0, t1 := 0, time.Time{}, time.Time{}
	for i := 0; i < k; i++ {
		c := <-counts
		total += c.n
		if i == 0 || c.t0.Before(t0) {
			t0 = c.t0
		}
		if c.t1.After(t1) {
			t1 = c.t1
		}
		<-done
	}
	span := t1.Sub(t0)
	if k == 1 {
		return float64(span.Nanoseconds()) / float64(total)
	}
	return float64(total) / span.Seconds()
}

func main() {
	args := os.Args[1:]
	num := func(i int) float64 {
		if i >= len(args) {
			fmt.Fprintln(os.Stderr, "otter_bench: missing argument")
			os.Exit(2)
		}
		v, err := strconv.ParseFloat(args[i], 64)
		if err != nil || v <= 0 {
			fmt.Fprintln(os.Stderr, "otter_bench: bad number", args[i])
			os.Exit(2)
		}
		return v
	}
	secs := func(i int) time.Duration {
		return time.Duration(num(i) * float64(time.Second))
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: otter_bench pingpong|ring|spawn|call|cast|sockping ARGS")
		os.Exit(2)
	}
	var v float64
	switch args[0] {
	case "pingpong":
		v = pingpong(secs(1))
	case "ring":
		v = ring(int(num(1)), secs(2))
	case "spawn":
		v = spawn(int(num(1)), secs(2))
	case "call":
		v = callTime(secs(1))
	case "cast":
		v = castRate(int(num(1)), secs(2))
	case "sockping":
		v = sockping(int(num(1)), secs(2))
	default:
		fmt.Fprintln(os.Stderr, "otter_bench: unknown figure", args[0])
		os.Exit(2)
	}
	fmt.Printf("%.3f\n", v)
}
