package main

// Report is the outcome of a run; --json prints it as it is.
type Report struct {
	Servers                []string   `json:"servers"`
	Rooms                  int        `json:"rooms"`
	ParticipantsPerRoom    int        `json:"participantsPerRoom"`
	AudioPublishersPerRoom int        `json:"audioPublishersPerRoom"`
	VideoPublishersPerRoom int        `json:"videoPublishersPerRoom"`
	VideoBitrateKbps       int        `json:"videoBitrateKbps"`
	Video                  VideoShape `json:"videoShape"`
	DurationS              float64    `json:"durationS"`
	RampUpS                float64    `json:"rampUpS"`
	WarmupS                float64    `json:"warmupS"`
	// TWCC: the bots sent transport-wide congestion control feedback.
	TWCC bool `json:"twcc,omitempty"`

	Bots   int `json:"bots"`
	Joined int `json:"joined"`
	// Errors lists what went wrong (the exit status is then non-zero):
	// failed joins, lost connections, tracks never received.
	Errors []string `json:"errors"`
	// Warnings are the errors the server sent the bots and the client's
	// own (e.g. a subscribe offer it could not answer).
	Warnings []string `json:"warnings"`
	// WindowS is the length of the measuring window; 0 if none.
	WindowS float64 `json:"windowS"`

	// SignalingJoinMs: WebSocket dial to welcome.
	SignalingJoinMs Quantiles `json:"signalingJoinMs"`
	// PublishedMs: WebSocket dial to the publish connection negotiated.
	PublishedMs Quantiles `json:"publishedMs"`
	// MediaJoinMs: WebSocket dial (or the first packet sent by another
	// publisher of the room, if later) to the first RTP packet received.
	MediaJoinMs Quantiles `json:"mediaJoinMs"`

	Tracks TrackCounts `json:"tracks"`
	// Total, Audio and VideoFlow cover the received tracks in the window.
	Total     Flow `json:"total"`
	Audio     Flow `json:"audio"`
	VideoFlow Flow `json:"video"`
	// KeyframeRequests is the PLIs and FIRs the publishers got.
	KeyframeRequests int64 `json:"keyframeRequests"`
	// Simulcast is how the video publishers sent their layers, with
	// --simulcast.
	Simulcast *SimulcastShape `json:"simulcast,omitempty"`
	// TileSizes are the sizes at which receiving bots said they show
	// the cameras (round-robin), as WxH.
	TileSizes []string `json:"tileSizes,omitempty"`

	// Commands are the hand and chat commands timed in the window, by
	// kind (raise_hand, lower_hand, chat).
	Commands map[string]CommandStats `json:"commands,omitempty"`
	// Chat counts the chat messages the bots received.
	Chat *ChatStats `json:"chat,omitempty"`

	Server  *ServerStats `json:"server,omitempty"`
	LoadGen LoadGenStats `json:"loadGenerator"`
	Host    *HostStats   `json:"host,omitempty"`

	PerBot   []BotStats   `json:"perBot"`
	PerTrack []TrackStats `json:"perTrack"`

	missing []string // one line per missing track
}

// VideoShape is how the video bitrate is sent.
type VideoShape struct {
	FPS             int `json:"fps"`
	PacketsPerFrame int `json:"packetsPerFrame"`
	PayloadBytes    int `json:"payloadBytes"`
}

// SimulcastShape is how each simulcast layer is sent, lowest first.
type SimulcastShape struct {
	RIDs         []string     `json:"rids"`
	BitratesKbps []int        `json:"bitratesKbps"`
	Layers       []VideoShape `json:"layers"`
}

// CommandStats is one kind of command: round trip from the send to the
// event that shows it done coming back to the sender.
type CommandStats struct {
	Sent int `json:"sent"`
	// Answered: the event came back; Lost: not within 5 s; Refused: the
	// server answered with an error.
	Answered int       `json:"answered"`
	Lost     int       `json:"lost"`
	Refused  int       `json:"refused"`
	RTTMs    Quantiles `json:"rttMs"`
}

// ChatStats counts chat deliveries: every bot of the room, the sender
// included, should get every message.
type ChatStats struct {
	Messages  int   `json:"messages"`
	Expected  int64 `json:"expected"`
	Delivered int64 `json:"delivered"`
	Lost      int64 `json:"lost"`
}

// Quantiles summarise a set of values.
type Quantiles struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// TrackCounts counts received tracks against the ones the bots should get.
type TrackCounts struct {
	// Expected: for every bot, every track of every other bot of its room
	// that publishes.
	Expected int `json:"expected"`
	// Receiving: of those, the ones that brought at least one packet.
	Receiving int `json:"receiving"`
	// Missing: expected and never received.
	Missing int `json:"missing"`
	// Late: first packet only after the window opened.
	Late int `json:"late"`
	// Foreign: received from someone who is not one of this run's bots.
	Foreign int `json:"foreign"`
}

// Flow is what a set of tracks brought in the window.
type Flow struct {
	Tracks int `json:"tracks"`
	// Sent is the packets the publishers of these tracks sent (once per
	// publisher, however many receive them).
	Sent     int64   `json:"sent"`
	Expected int64   `json:"expected"`
	Received int64   `json:"received"`
	Lost     int64   `json:"lost"`
	LossPct  float64 `json:"lossPct"`
	// WorstTrackLossPct is the highest loss of one track.
	WorstTrackLossPct float64 `json:"worstTrackLossPct"`
	PacketsPerS       float64 `json:"packetsPerS"`
	Mbps              float64 `json:"mbps"`
	// LatencyMs is the added latency, send to receipt, over all packets.
	LatencyMs Quantiles `json:"latencyMs"`
	// JitterMs: RFC 3550 interarrival jitter at the end of the window,
	// mean and max over the tracks.
	JitterMeanMs float64 `json:"jitterMeanMs"`
	JitterMaxMs  float64 `json:"jitterMaxMs"`
	// SentByLayer and ReceivedByLayer count simulcast packets by the
	// layer's rid (sent once per publisher; received by all bots, as the
	// SFU picked the layer for each).
	SentByLayer     map[string]int64 `json:"sentByLayer,omitempty"`
	ReceivedByLayer map[string]int64 `json:"receivedByLayer,omitempty"`
}

// TrackStats is one received track.
type TrackStats struct {
	Receiver  string  `json:"receiver"`
	Publisher string  `json:"publisher"`
	Kind      string  `json:"kind"`
	Sent      int64   `json:"sent"`
	Expected  int64   `json:"expected"`
	Received  int64   `json:"received"`
	LossPct   float64 `json:"lossPct"`
	P50Ms     float64 `json:"p50Ms"`
	P99Ms     float64 `json:"p99Ms"`
	JitterMs  float64 `json:"jitterMs"`
	Late      bool    `json:"late,omitempty"`
	// ByLayer counts the packets received by simulcast layer (rid).
	ByLayer map[string]int64 `json:"byLayer,omitempty"`
}

// BotStats is one bot that joined and received media.
type BotStats struct {
	Name        string  `json:"name"`
	ID          string  `json:"id"`
	Server      string  `json:"server"`
	Facilitator bool    `json:"facilitator,omitempty"`
	WelcomeMs   float64 `json:"welcomeMs"`
	PublishedMs float64 `json:"publishedMs"`
	MediaJoinMs float64 `json:"mediaJoinMs"`
}

// ServerStats is what --server-pid measured (summed over the processes,
// with several).
type ServerStats struct {
	PID        int     `json:"pid"`
	PIDs       []int   `json:"pids"`
	CPUSeconds float64 `json:"cpuSeconds"`
	// CPUPercent is of one core, over the window.
	CPUPercent float64 `json:"cpuPercent"`
	// PacketsPerCPUSecond: packets received by all bots in the window per
	// server CPU-second.
	PacketsPerCPUSecond float64 `json:"packetsPerCpuSecond"`
	// CPUSecondsPerMillionPackets is the inverse, scaled.
	CPUSecondsPerMillionPackets float64 `json:"cpuSecondsPerMillionPackets"`
	RSSStartMiB                 float64 `json:"rssStartMiB"`
	// RSSPeakMiB is the highest RSS sampled during the run.
	RSSPeakMiB float64 `json:"rssPeakMiB"`
	// HWMMiB is the kernel's peak RSS of the process's whole life.
	HWMMiB float64 `json:"hwmMiB"`
	// MiBPerParticipant is (peak - start) / joined bots.
	MiBPerParticipant float64 `json:"mibPerParticipant"`
	Samples           int     `json:"samples"`
}

// LoadGenStats is the load generator's own cost.
type LoadGenStats struct {
	CPUSeconds float64 `json:"cpuSeconds"`
	CPUPercent float64 `json:"cpuPercent"`
	MaxRSSMiB  float64 `json:"maxRssMiB"`
}

// HostStats is the whole machine's CPU use in the window, to tell whether
// something else competed with the server and the load generator.
type HostStats struct {
	Cores int `json:"cores"`
	// BusyCores is the average number of busy cores.
	BusyCores float64 `json:"busyCores"`
	// OtherCores is BusyCores minus the server and the load generator.
	OtherCores float64 `json:"otherCores"`
}

const mib = 1 << 20
