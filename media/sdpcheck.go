package media

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/pion/ice/v4"
)

// ErrBadSDP is returned for a session description (RFC 8866) that cannot
// be applied. The connection it was meant for stays as it was.
var ErrBadSDP = errors.New("media: unusable session description")

// The checks in this file refuse a remote description before pion sees
// it, when pion would refuse it only after changing the connection's
// signaling state: pion/webrtc v4.2 cannot roll back (it refuses
// webrtc.SDPTypeRollback in every state), so such an offer leaves the
// publish connection in have-remote-offer, and such an answer leaves the
// subscribe connection stable with a description it never acted on. They
// follow pion's own (sdp.go: extractICEDetails, extractFingerprint,
// codecsFromMediaDescription; the mid rule of SetRemoteDescription) and
// JSEP's rules for answers (RFC 8829, section 5.3.1).

// checkOffer checks a client's offer. initial is true while the
// connection has never been negotiated.
func checkOffer(sdp string, initial bool) error {
	d, err := parseDescription(sdp)
	if err != nil {
		return err
	}
	for i := range d.sections {
		if d.sections[i].attr("mid") == "" {
			return fmt.Errorf("%w: media section %d has no mid", ErrBadSDP, i)
		}
	}
	return d.check(initial)
}

// checkAnswer checks a client's answer to offer, the server's own.
func checkAnswer(sdp, offer string, initial bool) error {
	d, err := parseDescription(sdp)
	if err != nil {
		return err
	}
	o, err := parseDescription(offer)
	if err != nil {
		return err
	}
	if len(d.sections) != len(o.sections) {
		return fmt.Errorf("%w: %d media sections answer an offer of %d", ErrBadSDP, len(d.sections), len(o.sections))
	}
	for i := range d.sections {
		a, off := &d.sections[i], &o.sections[i]
		if a.media != off.media || a.attr("mid") != off.attr("mid") {
			return fmt.Errorf("%w: media section %d (%s, mid %q) does not answer the offered one (%s, mid %q)",
				ErrBadSDP, i, a.media, a.attr("mid"), off.media, off.attr("mid"))
		}
		if a.port != 0 && off.port != 0 && (a.media == "audio" || a.media == "video") && !sharesCodec(a, off) {
			return fmt.Errorf("%w: media section %d takes none of the offered codecs", ErrBadSDP, i)
		}
	}
	return d.check(initial)
}

// check applies the rules every remote description must meet.
func (d *description) check(initial bool) error {
	for i := range d.sections {
		if err := d.sections[i].checkCodecs(); err != nil {
			return fmt.Errorf("%w: media section %d: %w", ErrBadSDP, i, err)
		}
	}
	if err := d.checkICE(); err != nil {
		return err
	}
	if initial {
		return d.checkFingerprint()
	}
	return nil
}

// checkCodecs: every format of an audio or video section is a payload
// type with an rtpmap (0, 8 and 9 need none), and its header extensions
// are well formed.
func (s *section) checkCodecs() error {
	if s.media != "audio" && s.media != "video" {
		return nil
	}
	for f := range fields(s.formats) {
		pt, err := strconv.ParseUint(f, 10, 8)
		if err != nil {
			return fmt.Errorf("payload type %q", f)
		}
		if pt != 0 && pt != 8 && pt != 9 && s.rtpmap(f) == "" {
			return fmt.Errorf("payload type %d has no rtpmap", pt)
		}
	}
	for key, value := range attributes(s.lines) {
		if key == "extmap" && !validExtmap(value) {
			return fmt.Errorf("extmap %q", value)
		}
	}
	return nil
}

// rtpmap is the encoding named for payload type pt ("opus/48000/2").
func (s *section) rtpmap(pt string) string {
	for key, value := range attributes(s.lines) {
		if key == "rtpmap" && len(value) > len(pt) && value[len(pt)] == ' ' && strings.HasPrefix(value, pt) {
			return value[len(pt)+1:]
		}
	}
	return ""
}

// validExtmap checks "<id>[/<direction>] <uri> [<attributes>]" (RFC 8285)
// as pion parses it.
func validExtmap(v string) bool {
	fields := strings.Fields(v)
	if len(fields) < 2 {
		return false
	}
	id, dir, hasDir := strings.Cut(fields[0], "/")
	if n, err := strconv.ParseInt(id, 10, 64); err != nil || n < 1 || n > 246 {
		return false
	}
	if hasDir && dir != "sendrecv" && dir != "sendonly" && dir != "recvonly" && dir != "inactive" {
		return false
	}
	_, err := url.Parse(fields[1])
	return err == nil
}

// sharesCodec says whether the answer a takes at least one codec offered
// in off, with its offered payload type.
func sharesCodec(a, off *section) bool {
	for f := range fields(a.formats) {
		enc := off.rtpmap(f)
		if enc != "" && strings.EqualFold(a.rtpmap(f), enc) {
			return true
		}
	}
	return false
}

// bundleID is the mid of the first section of the BUNDLE group (RFC
// 9143), as pion finds it.
func (d *description) bundleID() string {
	g := attr(d.session, "group")
	_, ids, ok := strings.Cut(g, " ")
	if !ok || !strings.Contains(g, "BUNDLE") {
		return ""
	}
	first, _, _ := strings.Cut(ids, " ")
	return first
}

// candidateSection is the section whose ICE attributes count: the first
// of the BUNDLE group, or the first one.
func (d *description) candidateSection() *section {
	bundle := d.bundleID()
	for i := range d.sections {
		if bundle == "" || d.sections[i].attr("mid") == bundle {
			return &d.sections[i]
		}
	}
	return nil
}

// checkICE: ICE credentials at session level or in the candidate section,
// and, if that section lists candidates, at least one that parses.
func (d *description) checkICE() error {
	ufrag, pwd := attr(d.session, "ice-ufrag"), attr(d.session, "ice-pwd")
	if s := d.candidateSection(); s != nil {
		if ufrag == "" {
			ufrag, pwd = s.attr("ice-ufrag"), s.attr("ice-pwd")
		}
		var bad error
		good := 0
		for key, value := range attributes(s.lines) {
			if key != "candidate" {
				continue
			}
			_, err := ice.UnmarshalCandidate(value)
			switch {
			case err == nil:
				good++
			case !errors.Is(err, ice.ErrUnknownCandidateTyp) && !errors.Is(err, ice.ErrDetermineNetworkType):
				bad = err
			}
		}
		if good == 0 && bad != nil {
			return fmt.Errorf("%w: no usable candidate: %w", ErrBadSDP, bad)
		}
	}
	if ufrag == "" || pwd == "" {
		return fmt.Errorf("%w: no ICE credentials", ErrBadSDP)
	}
	return nil
}

// checkFingerprint: a DTLS certificate fingerprint (RFC 8122), "hash
// value", at session level, or in the first section of the BUNDLE group,
// or (without BUNDLE) in any section.
func (d *description) checkFingerprint() error {
	fp := attr(d.session, "fingerprint")
	bundle := d.bundleID()
	for i := range d.sections {
		s := &d.sections[i]
		if fp == "" && (bundle == "" || s.attr("mid") == bundle) {
			fp = s.attr("fingerprint")
		}
	}
	if fp == "" {
		return fmt.Errorf("%w: no DTLS fingerprint", ErrBadSDP)
	}
	if strings.Count(fp, " ") != 1 {
		return fmt.Errorf("%w: malformed DTLS fingerprint", ErrBadSDP)
	}
	return nil
}
