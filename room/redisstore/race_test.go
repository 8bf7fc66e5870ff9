//go:build race

package redisstore_test

// raceEnabled: the race detector slows Go code several times over (and
// the churn test's 13 writers, three instances and redis-server share
// the machine), so timing bounds are scaled by raceSlowdown.
const raceEnabled = true
