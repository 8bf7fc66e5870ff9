package main

import (
	"os"
	"testing"

	"github.com/hearth-meet/hearth/web/webtest"
)

// The browser tests share one Chromium process, each test in a browser
// context of its own (webtest.Main): starting a Chromium per test cost
// the suite tens of seconds.
func TestMain(m *testing.M) { os.Exit(webtest.Main(m)) }
