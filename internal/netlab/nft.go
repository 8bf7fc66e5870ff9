package netlab

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// nftTable is the nftables table each namespace's rules go in: chains
// "in" (hook input) and "out" (hook output), accepting by default.
const nftTable = "netlab"

// Chains of the namespace's table.
const (
	In  = "in"  // packets to the namespace's own addresses
	Out = "out" // packets the namespace sends
)

// firewall is a namespace's nftables table, made on first use.
type firewall struct {
	once sync.Once
}

// Rule is one or more nftables rules of a namespace; Remove deletes them.
type Rule struct {
	ns      *NS
	handles []ruleHandle
}

type ruleHandle struct {
	chain  string
	handle string
}

func (ns *NS) table() {
	ns.lab.t.Helper()
	ns.fw.once.Do(func() {
		Require(ns.lab.t, "nft")
		ns.Run("nft", fmt.Sprintf(`table inet %[1]s {
	chain %[2]s { type filter hook input priority 0; policy accept; }
	chain %[3]s { type filter hook output priority 0; policy accept; }
}`, nftTable, In, Out))
	})
}

// Nft adds one nftables rule (nft's syntax, e.g. "udp dport 3478 drop")
// to a chain (In or Out) of the namespace's table. The rule lives until
// Remove or the end of the test.
func (ns *NS) Nft(chain, rule string) *Rule {
	ns.lab.t.Helper()
	r := &Rule{ns: ns}
	r.add(chain, rule)
	return r
}

// handlePattern finds the handle nft --echo --handle prints for an added
// rule.
const handlePattern = `# handle (\d+)`

func (r *Rule) add(chain, rule string) {
	r.ns.lab.t.Helper()
	r.ns.table()
	args := append([]string{"nft", "--echo", "--handle", "add", "rule", "inet", nftTable, chain}, strings.Fields(rule)...)
	out := r.ns.Run(args...)
	m := regexp.MustCompile(handlePattern).FindStringSubmatch(out)
	if m == nil {
		r.ns.lab.t.Fatalf("netlab: nft printed no handle for %q: %s", rule, out)
	}
	r.handles = append(r.handles, ruleHandle{chain: chain, handle: m[1]})
}

// Remove deletes the rule(s).
func (r *Rule) Remove() {
	r.ns.lab.t.Helper()
	for _, h := range r.handles {
		r.ns.Run("nft", "delete", "rule", "inet", nftTable, h.chain, "handle", h.handle)
	}
	r.handles = nil
}

// DropUDP drops every UDP packet the namespace sends or receives on
// links (loopback inside the namespace keeps working): what a network
// that allows only TCP does.
func (ns *NS) DropUDP() *Rule {
	ns.lab.t.Helper()
	r := &Rule{ns: ns}
	r.add(Out, `oifname != "lo" meta l4proto udp drop`)
	r.add(In, `iifname != "lo" meta l4proto udp drop`)
	return r
}

// BlockTCPPort drops TCP packets to and from the remote port in both
// directions, silently (as a dead network does): established connections
// stall rather than close.
func (ns *NS) BlockTCPPort(port int) *Rule {
	ns.lab.t.Helper()
	r := &Rule{ns: ns}
	r.add(Out, fmt.Sprintf("tcp dport %d drop", port))
	r.add(In, fmt.Sprintf("tcp sport %d drop", port))
	return r
}

// Loss drops percent % of the packets the namespace sends and receives
// on links, at random (nftables' numgen; netem does not exist in every
// kernel). match narrows the packets, e.g. "meta l4proto udp" or
// "udp dport 50000";
// empty means all.
func (ns *NS) Loss(percent int, match string) *Rule {
	ns.lab.t.Helper()
	r := &Rule{ns: ns}
	r.add(Out, fmt.Sprintf(`oifname != "lo" %s numgen random mod 100 < %d drop`, match, percent))
	r.add(In, fmt.Sprintf(`iifname != "lo" %s numgen random mod 100 < %d drop`, match, percent))
	return r
}
