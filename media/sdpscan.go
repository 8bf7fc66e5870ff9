package media

import (
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"
)

// The checks of sdpcheck.go read a session description (RFC 8866) with
// parseDescription, which does not parse it whole: pion parses every
// description it is given (SetRemoteDescription takes no parsed one, and
// parses the text again) and refuses there, before changing any state,
// what its parser (pion/sdp) refuses. parseDescription finds the media
// sections and reads their m= lines; the checks read the "a=" lines they
// need from the text, as they go. Nothing of the text is copied.

// description is what the checks read of a session description.
type description struct {
	// session is the text before the first media section.
	session  string
	sections []section
}

// section is one media section ("m=").
type section struct {
	media string // audio, video, application
	port  int    // 0: rejected
	// formats are the m= line's formats (payload types for RTP),
	// separated by spaces or tabs: see fields.
	formats string
	// lines is the text after the m= line, up to the next one.
	lines string
}

// parseDescription finds the media sections of sdp and reads their m=
// lines. So that the a= and m= lines the checks read are those pion
// reads, it refuses what pion's parser reads otherwise: a carriage
// return that does not end a line (pion ends some lines there, not
// others), a v=, o=, t= or c= line with more fields than RFC 8866 gives
// it (pion reads what follows these fields as a line of its own), and a
// line that is not "<type>=<value>".
func parseDescription(sdp string) (description, error) {
	d := description{sections: make([]section, 0, strings.Count(sdp, "\nm="))}
	start := 0 // where the text of the session, or of the last section, begins
	end := func(at int) {
		if n := len(d.sections); n > 0 {
			d.sections[n-1].lines = sdp[start:at]
		} else {
			d.session = sdp[start:at]
		}
	}
	pos := 0
	for n := 1; pos < len(sdp); n++ {
		line, _, _ := strings.Cut(sdp[pos:], "\n")
		at := pos
		pos += len(line) + 1
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		if strings.IndexByte(line, '\r') >= 0 {
			return description{}, fmt.Errorf("%w: line %d holds a carriage return", ErrBadSDP, n)
		}
		if len(line) < 2 || line[1] != '=' {
			return description{}, fmt.Errorf("%w: line %d is not <type>=<value>", ErrBadSDP, n)
		}
		value := line[2:]
		switch line[0] {
		case 'm':
			end(at)
			s, err := parseMediaLine(value)
			if err != nil {
				return description{}, fmt.Errorf("%w: line %d: %w", ErrBadSDP, n, err)
			}
			d.sections = append(d.sections, s)
			start = min(pos, len(sdp))
		case 'v', 'o', 't', 'c':
			if want := fieldCount(line[0]); countFields(value) > want {
				return description{}, fmt.Errorf("%w: line %d has more than the %d fields of a %c= line", ErrBadSDP, n, want, line[0])
			}
		}
	}
	end(len(sdp))
	return d, nil
}

// fieldCount is how many fields RFC 8866 (section 5) gives a v=, o=, t=
// or c= line: pion reads these lines field by field.
func fieldCount(typ byte) int {
	switch typ {
	case 'v':
		return 1
	case 'o':
		return 6
	case 't':
		return 2
	}
	return 3 // c=
}

// parseMediaLine reads an m= line's value: "<media> <port>[/<number of
// ports>] <proto> <fmt> ...".
func parseMediaLine(value string) (section, error) {
	media, rest := cutField(value)
	port, rest := cutField(rest)
	_, formats := cutField(rest) // proto
	port, _, _ = strings.Cut(port, "/")
	p, err := strconv.Atoi(port)
	if err != nil {
		return section{}, errors.New("port not a number")
	}
	return section{media: media, port: p, formats: formats}, nil
}

// cutField cuts s at its first run of spaces and tabs, where pion's
// parser ends a field.
func cutField(s string) (field, rest string) {
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimLeft(s[i:], " \t")
}

// fields are the fields of s, separated by spaces and tabs.
func fields(s string) iter.Seq[string] {
	return strings.FieldsFuncSeq(s, func(r rune) bool { return r == ' ' || r == '\t' })
}

// countFields counts the fields of value as pion's parser reads them:
// each ends at a run of spaces and tabs, so that a value starting with
// one has an empty field first.
func countFields(value string) int {
	n := 0
	for rest := value; rest != ""; n++ {
		_, rest = cutField(rest)
	}
	return n
}

// attributes are the key and value of each "a=" line of text that
// parseDescription read ("a=<key>:<value>", or "a=<key>" with an empty
// value), split as pion splits them: at the first colon after the key.
func attributes(text string) iter.Seq2[string, string] {
	return func(yield func(key, value string) bool) {
		for line := range strings.Lines(text) {
			v, ok := strings.CutPrefix(line, "a=")
			if !ok {
				continue
			}
			v = strings.TrimSuffix(strings.TrimSuffix(v, "\n"), "\r")
			key, value := v, ""
			if i := strings.IndexByte(v, ':'); i > 0 {
				key, value = v[:i], v[i+1:]
			}
			if !yield(key, value) {
				return
			}
		}
	}
}

// attr is the value of the first attribute key of text ("" if none).
func attr(text, key string) string {
	for k, v := range attributes(text) {
		if k == key {
			return v
		}
	}
	return ""
}

func (s *section) attr(key string) string { return attr(s.lines, key) }
