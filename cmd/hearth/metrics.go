package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hearth-meet/hearth/media"
	"github.com/hearth-meet/hearth/signaling"
)

// collector exposes the server's load on /metrics. It reads the SFU's and
// the signaling server's counters when scraped, so the packet path pays
// nothing for it. Labels never name people or rooms.
type collector struct {
	sfu *media.SFU
	sig *signaling.Server

	rooms, participants, tracks                *prometheus.Desc
	packets, bytes, muted, keyframeReqs, nacks *prometheus.Desc
	senderReports, senderReportsSent           *prometheus.Desc
	warningsSuppressed                         *prometheus.Desc
	refused, trackedAddresses                  *prometheus.Desc
	resumes, away, iceRestarts                 *prometheus.Desc
	speakerChanges                             *prometheus.Desc
	rtxSent, nackMissed, keyframesCoalesced    *prometheus.Desc
	nackNotReceived, rtxFromFeedback           *prometheus.Desc
	undelivered, buildInfo                     *prometheus.Desc
}

func newCollector(sfu *media.SFU, sig *signaling.Server) *collector {
	b := readBuildInfo()
	d := func(name, help string) *prometheus.Desc { return prometheus.NewDesc("hearth_"+name, help, nil, nil) }
	return &collector{
		sfu: sfu, sig: sig,
		rooms:        d("rooms", "Rooms with participants connected to this instance."),
		participants: d("participants", "Participants connected to this instance (waiting room included)."),
		tracks:       d("tracks", "Tracks published to this instance (relayed ones included)."),
		packets:      d("forwarded_packets_total", "RTP packets forwarded to subscribers."),
		bytes:        d("forwarded_bytes_total", "RTP payload bytes forwarded to subscribers."),
		muted:        d("muted_packets_dropped_total", "RTP packets read and dropped because their track was muted or its camera off."),
		keyframeReqs: d("pli_sent_total", "Keyframe requests (PLI) sent to publishers."),
		nacks:        d("nacks_received_total", "NACK packets received from subscribers."),
		rtxSent:      d("rtx_packets_sent_total", "Packets sent again to subscribers that lost them (RTX), from the tracks' shared caches."),
		rtxFromFeedback: d("rtx_from_feedback_total",
			"Packets sent again because a subscriber's transport-wide feedback reported them lost and no NACK had asked for them (its NACK lost too)."),
		nackMissed: d("nack_packets_missed_total", "Packets subscribers asked for again (NACK) that the cache no longer held."),
		nackNotReceived: d("nack_packets_not_received_total",
			"Packets subscribers asked for again (NACK) that the server had not received from the publisher (lost on its link; forwarded when it sends them again)."),
		keyframesCoalesced: d("keyframe_requests_coalesced_total",
			"Keyframe requests folded into another one sent at the end of the keyframe interval (not sent on their own)."),
		senderReports: d("sender_reports_received_total", "RTCP sender reports read from publishers."),
		senderReportsSent: d("sender_reports_sent_total",
			"RTCP sender reports sent to subscribers (one a second for each stream a subscriber receives)."),
		warningsSuppressed: d("media_warnings_suppressed_total",
			"Media warnings not logged because one of their kind was logged less than a minute before (mostly packets dropped on the media port)."),
		refused: prometheus.NewDesc("hearth_admission_refused_total",
			"Connections (HTTP 429) and joins (rate_limited) refused by admission, by reason: address_connections, address_joins, room_joins, full (the table of addresses was full).",
			[]string{"reason"}, nil),
		trackedAddresses: d("admission_tracked_addresses", "Client addresses held in memory by admission (never logged or stored)."),
		speakerChanges:   d("speaker_changes_total", "Times a meeting here sent its participants a new set of people talking."),
		resumes:          d("resumes_total", "Sessions taken back by a client over a new connection within the resume grace."),
		away:             d("sessions_away", "Sessions held for the resume grace whose connection dropped."),
		iceRestarts: d("ice_restarts_total",
			"ICE restarts of clients' peer connections (a client whose network changed): offers with new credentials, and restart offers asked for."),
		undelivered: d("undelivered_packets_total",
			"Copies of RTP packets not written to a subscriber: its connection not negotiated yet, or closing."),
		buildInfo: prometheus.NewDesc("hearth_build_info", "Always 1; its labels are the server's version and VCS revision (as hearth version prints them).",
			nil, prometheus.Labels{"version": b.version, "revision": b.revision}),
	}
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.rooms, c.participants, c.tracks, c.packets, c.bytes, c.muted, c.keyframeReqs, c.nacks, c.senderReports, c.senderReportsSent, c.warningsSuppressed, c.refused, c.trackedAddresses, c.resumes, c.away, c.iceRestarts, c.undelivered, c.buildInfo, c.speakerChanges, c.rtxSent, c.nackMissed, c.nackNotReceived, c.rtxFromFeedback, c.keyframesCoalesced} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	st := c.sfu.Stats()
	rooms, participants := c.sig.Counts()
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	counter := func(d *prometheus.Desc, v uint64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v))
	}
	gauge(c.rooms, float64(rooms))
	gauge(c.participants, float64(participants))
	gauge(c.tracks, float64(st.Tracks.Load()))
	counter(c.packets, st.PacketsForwarded.Load())
	counter(c.bytes, st.BytesForwarded.Load())
	counter(c.muted, st.PacketsMuted.Load())
	counter(c.keyframeReqs, st.KeyframeRequests.Load())
	counter(c.nacks, st.NACKs.Load())
	counter(c.rtxSent, st.RTXSent.Load())
	counter(c.nackMissed, st.NACKMissed.Load())
	counter(c.nackNotReceived, st.NACKNotReceived.Load())
	counter(c.rtxFromFeedback, st.RTXFromFeedback.Load())
	counter(c.keyframesCoalesced, st.KeyframeRequestsCoalesced.Load())
	counter(c.senderReports, st.SenderReports.Load())
	counter(c.senderReportsSent, st.SenderReportsSent.Load())
	counter(c.warningsSuppressed, st.WarningsSuppressed.Load())
	ref := c.sig.Refusals()
	for reason, v := range map[string]uint64{"address_connections": ref.AddressConnections,
		"address_joins": ref.AddressJoins, "room_joins": ref.RoomJoins, "full": ref.Full} {
		ch <- prometheus.MustNewConstMetric(c.refused, prometheus.CounterValue, float64(v), reason)
	}
	gauge(c.trackedAddresses, float64(c.sig.TrackedAddresses()))
	resumes, away := c.sig.Resumes()
	counter(c.resumes, resumes)
	gauge(c.away, float64(away))
	counter(c.iceRestarts, st.ICERestarts.Load())
	counter(c.speakerChanges, c.sig.SpeakerChanges())
	counter(c.undelivered, st.PacketsUndelivered.Load())
	gauge(c.buildInfo, 1)
}
