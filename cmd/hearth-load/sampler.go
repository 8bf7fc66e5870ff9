package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"time"
)

// procSampler samples a process's memory every 250 ms and keeps the peak.
type procSampler struct {
	// static after construction
	pids []int
	quit chan struct{}
	done chan struct{}

	// Written by the sampling goroutine, read after done is closed.
	first   procSample
	last    procSample
	peakRSS uint64
	samples int
	err     error
}

const sampleInterval = 250 * time.Millisecond

func startSampler(pids []int) (*procSampler, error) {
	first, err := readProcs(pids)
	if err != nil {
		return nil, err
	}
	s := &procSampler{pids: pids, quit: make(chan struct{}), done: make(chan struct{}),
		first: first, last: first, peakRSS: first.RSS, samples: 1}
	go s.loop()
	return s, nil
}

func (s *procSampler) loop() {
	defer close(s.done)
	tick := time.NewTicker(sampleInterval)
	defer tick.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-tick.C:
		}
		p, err := readProcs(s.pids)
		if err != nil {
			s.err = err
			return
		}
		s.last = p
		s.peakRSS = max(s.peakRSS, p.RSS)
		s.samples++
	}
}

// stop ends the sampling; the fields may be read afterwards.
func (s *procSampler) stop() {
	select {
	case <-s.quit:
	default:
		close(s.quit)
	}
	<-s.done
}

// startProfile starts the CPU profile of the load generator into file
// ("": none) and returns what stops it.
func startProfile(file string) (stop func() error, err error) {
	if file == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, fmt.Errorf("--cpu-profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("--cpu-profile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("--cpu-profile: %w", err)
		}
		return nil
	}, nil
}
