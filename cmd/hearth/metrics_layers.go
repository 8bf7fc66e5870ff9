package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hearth-meet/hearth/media"
)

// layersCollector exports what simulcast layer selection and bandwidth
// estimation do (docs/operations.md, "Metrics"). No label names a
// participant or a track.
type layersCollector struct {
	sfu                                 *media.SFU
	estimates, switches, paused, probes *prometheus.Desc
}

func newLayersCollector(sfu *media.SFU) *layersCollector {
	d := func(name, help string) *prometheus.Desc { return prometheus.NewDesc("hearth_"+name, help, nil, nil) }
	return &layersCollector{
		sfu: sfu,
		estimates: d("subscriber_bandwidth_bits",
			"Each subscriber's estimated bandwidth (what the SFU may send it, in bits/s), observed once a second per subscriber."),
		switches: d("layer_switches_total", "Times a subscriber's copy of a video moved to another simulcast layer or resumed after a pause."),
		paused:   d("video_paused", "Subscribers' copies of video paused now because their bandwidth does not carry the lowest layer."),
		probes:   d("bandwidth_probes_total", "Bandwidth probes: padding sent to see whether a subscriber's link carries more."),
	}
}

// Describe implements prometheus.Collector.
func (c *layersCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.estimates, c.switches, c.paused, c.probes} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *layersCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.sfu.Stats()
	buckets, count, sum := st.Estimates.Snapshot()
	ch <- prometheus.MustNewConstHistogram(c.estimates, count, sum, buckets)
	ch <- prometheus.MustNewConstMetric(c.switches, prometheus.CounterValue, float64(st.LayerSwitches.Load()))
	ch <- prometheus.MustNewConstMetric(c.paused, prometheus.GaugeValue, float64(st.VideoPaused.Load()))
	ch <- prometheus.MustNewConstMetric(c.probes, prometheus.CounterValue, float64(st.Probes.Load()))
}
