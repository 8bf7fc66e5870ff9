package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hearth-meet/hearth/media"
	"github.com/hearth-meet/hearth/media/turn"
)

// reachCollector exposes how participants reach the server: their
// connections by candidate type and transport, ICE failures, and the
// embedded TURN server's allocations.
type reachCollector struct {
	sfu  *media.SFU
	turn *turn.Server // nil without the embedded TURN server

	connections, failures                        *prometheus.Desc
	allocations, allocationsTotal, turnRefusedBy *prometheus.Desc
}

func newReachCollector(sfu *media.SFU, t *turn.Server) *reachCollector {
	return &reachCollector{
		sfu: sfu, turn: t,
		connections: prometheus.NewDesc("hearth_ice_connections_total",
			"Participants' peer connections established, by the remote candidate's type (host, srflx, prflx, relay: through TURN) and the transport (udp, tcp: ICE over TCP).",
			[]string{"candidate", "transport"}, nil),
		failures: prometheus.NewDesc("hearth_ice_failures_total", "Participants' peer connections whose ICE failed.", nil, nil),
		allocations: prometheus.NewDesc("hearth_turn_allocations",
			"Allocations held on the embedded TURN server now.", nil, nil),
		allocationsTotal: prometheus.NewDesc("hearth_turn_allocations_total",
			"Allocations made on the embedded TURN server since start.", nil, nil),
		turnRefusedBy: prometheus.NewDesc("hearth_turn_refused_total",
			"Requests refused by the embedded TURN server, by reason: quota (a participant's allocations at the limit), peer (a relay to a blocked address).",
			[]string{"reason"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *reachCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.connections, c.failures, c.allocations, c.allocationsTotal, c.turnRefusedBy} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *reachCollector) Collect(ch chan<- prometheus.Metric) {
	ice := &c.sfu.Stats().ICE
	ice.Connected(func(typ, transport string, n uint64) {
		ch <- prometheus.MustNewConstMetric(c.connections, prometheus.CounterValue, float64(n), typ, transport)
	})
	ch <- prometheus.MustNewConstMetric(c.failures, prometheus.CounterValue, float64(ice.Failures.Load()))
	if c.turn == nil {
		return
	}
	st := c.turn.Stats()
	ch <- prometheus.MustNewConstMetric(c.allocations, prometheus.GaugeValue, float64(st.Allocations.Load()))
	ch <- prometheus.MustNewConstMetric(c.allocationsTotal, prometheus.CounterValue, float64(st.AllocationsTotal.Load()))
	ch <- prometheus.MustNewConstMetric(c.turnRefusedBy, prometheus.CounterValue, float64(st.QuotaRefused.Load()), "quota")
	ch <- prometheus.MustNewConstMetric(c.turnRefusedBy, prometheus.CounterValue, float64(st.PeersRefused.Load()), "peer")
}
