package signaling_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// A page on another site cannot open the signaling WebSocket with its
// visitors' browsers: the upgrade is refused (403) for a foreign Origin,
// and allowed for the server's own.
func TestForeignOriginRefused(t *testing.T) {
	srv := newTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dial := func(origin string) (int, error) {
		h := http.Header{}
		h.Set("Origin", origin)
		c, resp, err := websocket.Dial(ctx, srv.url, &websocket.DialOptions{HTTPHeader: h})
		if c != nil {
			_ = c.CloseNow()
		}
		if resp == nil {
			return 0, err
		}
		return resp.StatusCode, err
	}
	if code, err := dial("https://evil.example"); err == nil || code != http.StatusForbidden {
		t.Errorf("foreign origin: status %d, err %v; want 403", code, err)
	}
	if code, err := dial(srv.URL); err != nil || code != http.StatusSwitchingProtocols {
		t.Errorf("own origin: status %d, err %v; want 101", code, err)
	}
}
