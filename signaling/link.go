package signaling

import (
	"context"
	"sync"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap"
)

// link is one WebSocket connection carrying a session. A session has one
// link at a time; while its participant is away (the connection dropped
// and the resume grace runs, see resume.go) it has none, and a resume
// gives it the link of the new connection. Three goroutines serve a link:
// the reader turns frames into inbound items, the writer drains the
// bounded send queue, keepAlive pings the client. All end with life.
type link struct {
	// static after construction
	conn       *websocket.Conn
	out        chan outgoing // the send queue, drained by the writer
	inbound    chan frame    // the reader's frames, read by the session's run loop
	overflow   chan struct{} // closed when the send queue overflowed
	overOnce   sync.Once     // closes overflow
	life       context.Context
	kill       context.CancelFunc
	writerDone chan struct{} // closed when the writer has returned
	readerDone chan struct{} // closed when the reader has returned; readErr is set then
	readErr    error         // the error that ended the reader
	log        *zap.Logger

	// closing: the server asked to close the connection (owned by the
	// session's run loop, the one caller of queue).
	closing bool
}

// outgoing is one item of the send queue: a message, or the instruction
// to close the connection once everything before it was written.
type outgoing struct {
	data   []byte
	close  bool
	status websocket.StatusCode
	reason string
}

// frame is what the reader passes on: a message, or the read error that
// ended the connection.
type frame struct {
	data   []byte
	binary bool
	err    error
}

// newLink returns a link for conn with a send queue of queue messages;
// start serves it.
func newLink(conn *websocket.Conn, queue int, log *zap.Logger) *link {
	life, kill := context.WithCancel(context.Background())
	return &link{
		conn: conn, out: make(chan outgoing, queue), inbound: make(chan frame),
		overflow: make(chan struct{}), life: life, kill: kill,
		writerDone: make(chan struct{}), readerDone: make(chan struct{}), log: log,
	}
}

// start starts the link's goroutines.
func (l *link) start() {
	go l.read()
	go func() {
		defer close(l.writerDone)
		l.write()
	}()
	go l.keepAlive()
}

// queue puts o in the send queue; a full queue marks the link overflowed.
func (l *link) queue(o outgoing) {
	l.closing = l.closing || o.close
	select {
	case l.out <- o:
	default:
		l.overOnce.Do(func() { close(l.overflow) })
	}
}

// end closes the connection; with flush, the writer is first given a
// moment to send what is queued (a goodbye and the closing handshake).
func (l *link) end(flush bool) {
	if flush {
		select {
		case <-l.writerDone:
		case <-time.After(writeTimeout):
		}
	}
	l.kill()
	_ = l.conn.CloseNow()
}

// keepAlive pings the client until the link ends; no pong in time ends it.
func (l *link) keepAlive() {
	t := time.NewTicker(pingInterval)
	defer t.Stop()
	for {
		select {
		case <-l.life.Done():
			return
		case <-t.C:
			pctx, cancel := context.WithTimeout(l.life, pingTimeout)
			err := l.conn.Ping(pctx)
			cancel()
			if err != nil && l.life.Err() == nil {
				l.log.Debug("client did not answer a ping", zap.Error(err))
				l.kill()
				return
			}
		}
	}
}

func (l *link) read() {
	defer close(l.readerDone)
	for {
		typ, data, err := l.conn.Read(l.life)
		if err != nil {
			l.readErr = err
		}
		f := frame{data: data, binary: typ == websocket.MessageBinary, err: err}
		select {
		case l.inbound <- f:
		case <-l.life.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

// endedBy returns the error that ended the reader, once the link's life
// is over: the client's close frame when one came, even if the writer
// failed on the closed connection first and ended the link. Reading stops
// promptly once the life ends (the connection is closed then), so this
// waits at most writeTimeout, a bound never reached in practice.
func (l *link) endedBy() error {
	select {
	case <-l.readerDone:
		return l.readErr
	case <-time.After(writeTimeout):
		return context.DeadlineExceeded
	}
}

func (l *link) write() {
	for {
		select {
		case <-l.life.Done():
			return
		case o := <-l.out:
			if o.close {
				_ = l.conn.Close(o.status, o.reason)
				l.kill()
				return
			}
			wctx, cancel := context.WithTimeout(l.life, writeTimeout)
			err := l.conn.Write(wctx, websocket.MessageText, o.data)
			cancel()
			if err != nil {
				l.kill()
				return
			}
		}
	}
}
