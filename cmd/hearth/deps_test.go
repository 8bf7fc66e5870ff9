package main

import (
	"cmp"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// pionFloors are the lowest versions of the pion modules that carry the
// fixes of every advisory published against them (issue 9, "Dependency
// floor"). A module family is its path without the major-version suffix:
// an older major line of the family (dtls/v2, stun v0) is below the floor
// too. stun: go.mod names github.com/pion/stun/v4, a major line past the
// floor's v3.
var pionFloors = map[string]string{
	"github.com/pion/webrtc":      "v4.2.18",
	"github.com/pion/dtls":        "v3.1.5",
	"github.com/pion/stun":        "v3.1.5",
	"github.com/pion/interceptor": "v0.1.39",
}

// The module graph never selects a version below the main module's own
// requirement (minimal version selection), and since Go 1.17 go.mod lists
// every module that provides a package to the build. So go.mod alone tells
// whether the build can hold a version below a floor: no network, no
// go list.
func TestDependencyFloor(t *testing.T) {
	gomod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	found, problems := checkFloors(string(gomod), pionFloors)
	for _, p := range problems {
		t.Error(p)
	}
	if found["github.com/pion/webrtc"] == "" {
		t.Error("go.mod does not name github.com/pion/webrtc: the floor checks nothing (module path changed?)")
	}
	for family, floor := range pionFloors {
		t.Logf("%s (floor %s): %s", family, floor, cmp.Or(found[family], "not in go.mod"))
	}
}

// The check itself: what must pass and what must fail.
func TestCheckFloors(t *testing.T) {
	tests := []struct {
		name   string
		gomod  string
		failed int
	}{
		{"at the floors", `module x
require (
	github.com/pion/webrtc/v4 v4.2.18
	github.com/pion/dtls/v3 v3.1.5 // indirect
	github.com/pion/stun/v3 v3.1.5 // indirect
	github.com/pion/interceptor v0.1.39
)`, 0},
		{"newer, pseudo-versions, other majors", `module x
require github.com/pion/webrtc/v4 v4.2.19-0.20260101000000-abcdefabcdef
require (
	github.com/pion/stun/v4 v4.0.1
	github.com/pion/dtls/v3 v3.10.0
	github.com/pion/interceptor v0.2.0
	github.com/pion/rtp v1.0.0
)`, 0},
		{"each below", `module x
require (
	github.com/pion/webrtc/v4 v4.2.17
	github.com/pion/dtls/v3 v3.1.4
	"github.com/pion/stun/v3" v3.1.4
	github.com/pion/interceptor v0.1.38 // indirect
)`, 4},
		{"older major lines", `module x
require (
	github.com/pion/webrtc/v3 v3.3.5
	github.com/pion/dtls/v2 v2.2.12
	github.com/pion/stun v0.6.1
)`, 3},
		{"a pre-release of the floor", "module x\nrequire github.com/pion/webrtc/v4 v4.2.18-rc.1\n", 1},
		{"replaced by an old version", `module x
require github.com/pion/webrtc/v4 v4.2.26
replace github.com/pion/webrtc/v4 => github.com/pion/webrtc/v4 v4.2.0
`, 1},
		{"replaced by a directory", `module x
require github.com/pion/dtls/v3 v3.1.15
replace (
	github.com/pion/dtls/v3 v3.1.15 => ../dtls
)`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, problems := checkFloors(tt.gomod, pionFloors)
			if len(problems) != tt.failed {
				t.Errorf("%d problems, want %d: %q", len(problems), tt.failed, problems)
			}
		})
	}
}

func TestCompareSemver(t *testing.T) {
	ordered := []string{"v0.1.9", "v0.1.39", "v1.0.0-alpha", "v1.0.0-alpha.1", "v1.0.0-alpha.beta",
		"v1.0.0-beta.2", "v1.0.0-beta.11", "v1.0.0-rc.1", "v1.0.0", "v1.0.1", "v1.10.0", "v4.2.18", "v4.2.19-0.20260101000000-abcdef"}
	for i, a := range ordered {
		for j, b := range ordered {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := compareSemver(a, b); got != want {
				t.Errorf("compareSemver(%s, %s) = %d, want %d", a, b, got, want)
			}
		}
	}
	if got := compareSemver("v2.0.0+incompatible", "v2.0.0"); got != 0 {
		t.Errorf("build metadata counts: %d", got)
	}
}

// checkFloors reads the requirements and replacements of a go.mod text and
// reports each version of a family in floors that is below its floor, and
// the modules and versions it names of each family.
func checkFloors(gomod string, floors map[string]string) (found map[string]string, problems []string) {
	found = map[string]string{}
	check := func(path, version, where string) {
		family := moduleFamily(path)
		floor, ok := floors[family]
		if !ok {
			return
		}
		found[family] = strings.TrimSpace(found[family] + " " + path + " " + cmp.Or(version, "(directory)"))
		switch {
		case version == "":
			problems = append(problems, fmt.Sprintf("%s: %s is replaced by a directory; its version cannot be checked against the floor %s", where, path, floor))
		case compareSemver(version, floor) < 0:
			problems = append(problems, fmt.Sprintf("%s: %s %s is below %s, the first version with every published advisory fixed", where, path, version, floor))
		}
	}
	block := "" // the directive of the ( ... ) block the line is in
	for _, line := range strings.Split(gomod, "\n") {
		line, _, _ = strings.Cut(line, "//")
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0:
		case fields[0] == ")":
			block = ""
		case len(fields) == 2 && fields[1] == "(":
			block = fields[0]
		case block == "":
			readDirective(fields[0], fields[1:], check)
		default:
			readDirective(block, fields, check)
		}
	}
	return found, problems
}

// readDirective passes a require or replace line's module versions to check.
func readDirective(kind string, fields []string, check func(path, version, where string)) {
	for i := range fields {
		fields[i] = strings.Trim(fields[i], `"`)
	}
	switch kind {
	case "require":
		if len(fields) >= 2 {
			check(fields[0], fields[1], "require")
		}
	case "replace":
		// old [v] => new [v]; a new without a version is a directory.
		for i, f := range fields {
			if f != "=>" {
				continue
			}
			to := fields[i+1:]
			if len(to) == 2 {
				check(to[0], to[1], "replace")
			} else if len(to) == 1 {
				check(fields[0], "", "replace")
			}
		}
	}
}

// moduleFamily strips a major-version suffix (/v2, /v3, ...) from a
// module path.
func moduleFamily(path string) string {
	i := strings.LastIndex(path, "/v")
	if i < 0 {
		return path
	}
	if n, err := strconv.Atoi(path[i+2:]); err == nil && n >= 2 {
		return path[:i]
	}
	return path
}

// compareSemver compares two semantic versions "vMAJOR.MINOR.PATCH" with
// optional pre-release and build metadata (semver.org, section 11), as
// Go module versions are written; it returns -1, 0 or 1. An unparsable
// version sorts below every valid one.
func compareSemver(a, b string) int {
	pa, oka := parseSemver(a)
	pb, okb := parseSemver(b)
	if !oka || !okb {
		return boolCompare(oka, okb)
	}
	for i := range 3 {
		if c := intCompare(pa.nums[i], pb.nums[i]); c != 0 {
			return c
		}
	}
	if len(pa.pre) == 0 || len(pb.pre) == 0 {
		// A release is above its pre-releases.
		return boolCompare(len(pa.pre) == 0, len(pb.pre) == 0)
	}
	for i := 0; i < len(pa.pre) && i < len(pb.pre); i++ {
		x, y := pa.pre[i], pb.pre[i]
		nx, errx := strconv.ParseUint(x, 10, 64)
		ny, erry := strconv.ParseUint(y, 10, 64)
		switch {
		case errx == nil && erry == nil:
			if c := intCompare(nx, ny); c != 0 {
				return c
			}
		case errx == nil || erry == nil:
			return boolCompare(errx != nil, erry != nil) // numeric identifiers sort first
		default:
			if c := strings.Compare(x, y); c != 0 {
				return c
			}
		}
	}
	return intCompare(len(pa.pre), len(pb.pre))
}

type semver struct {
	nums [3]uint64
	pre  []string
}

func parseSemver(v string) (semver, bool) {
	var s semver
	v, ok := strings.CutPrefix(v, "v")
	if !ok {
		return s, false
	}
	v, _, _ = strings.Cut(v, "+")
	v, pre, hasPre := strings.Cut(v, "-")
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return s, false
	}
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return s, false
		}
		s.nums[i] = n
	}
	if hasPre {
		s.pre = strings.Split(pre, ".")
	}
	return s, true
}

func intCompare[T int | uint64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// boolCompare orders false below true.
func boolCompare(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
