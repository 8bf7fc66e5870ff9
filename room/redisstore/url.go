package redisstore

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// SentinelScheme starts a URL naming a Redis Sentinel set (NewClient).
const SentinelScheme = "redis-sentinel://"

// defaultSentinelPort is Sentinel's own port.
const defaultSentinelPort = "26379"

// NewClient returns a client for a Redis URL:
//
//   - redis://[[user]:password@]host:port[/db] or rediss://... (TLS): one
//     Redis server (redis.ParseURL);
//   - redis-sentinel://[[user]:password@]host:port[,host:port...]/MASTERNAME[?db=N&sentinel_password=P]:
//     the primary of MASTERNAME as the Sentinels at those addresses name
//     it (port 26379 when left out), following a failover by itself
//     (redis.NewFailoverClient). The password is the Redis servers'; the
//     Sentinels' own, if they have one, is sentinel_password.
//
// The error never repeats the URL (it may hold a password).
func NewClient(raw string) (redis.UniversalClient, error) {
	if !strings.HasPrefix(raw, SentinelScheme) {
		opts, err := redis.ParseURL(raw)
		if err != nil {
			return nil, errors.New("not a redis://, rediss:// or redis-sentinel:// URL")
		}
		return redis.NewClient(opts), nil
	}
	opts, err := parseSentinelURL(raw)
	if err != nil {
		return nil, err
	}
	return redis.NewFailoverClient(opts), nil
}

// parseSentinelURL reads a redis-sentinel:// URL (see NewClient).
func parseSentinelURL(raw string) (*redis.FailoverOptions, error) {
	rest := strings.TrimPrefix(raw, SentinelScheme)
	rest, query, _ := strings.Cut(rest, "?")
	hosts, master, _ := strings.Cut(rest, "/")
	opts := &redis.FailoverOptions{MasterName: strings.TrimSuffix(master, "/")}
	if i := strings.LastIndexByte(hosts, '@'); i >= 0 {
		user, pass, _ := strings.Cut(hosts[:i], ":")
		var err error
		if opts.Username, err = url.PathUnescape(user); err != nil {
			return nil, errors.New("redis-sentinel URL: the user name is not URL-encoded")
		}
		if opts.Password, err = url.PathUnescape(pass); err != nil {
			return nil, errors.New("redis-sentinel URL: the password is not URL-encoded")
		}
		hosts = hosts[i+1:]
	}
	for _, h := range strings.Split(hosts, ",") {
		if h == "" {
			continue
		}
		if !strings.Contains(h, ":") {
			h = net.JoinHostPort(h, defaultSentinelPort)
		}
		if host, port, err := net.SplitHostPort(h); err != nil || host == "" || port == "" {
			return nil, fmt.Errorf("redis-sentinel URL: %q is not host:port", h)
		}
		opts.SentinelAddrs = append(opts.SentinelAddrs, h)
	}
	if len(opts.SentinelAddrs) == 0 {
		return nil, errors.New("redis-sentinel URL: no Sentinel address (redis-sentinel://host:26379,host:26379/MASTERNAME)")
	}
	if opts.MasterName == "" || strings.Contains(opts.MasterName, "/") {
		return nil, errors.New("redis-sentinel URL: the path must be the master's name (redis-sentinel://host:26379/MASTERNAME)")
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, errors.New("redis-sentinel URL: the query is not URL-encoded")
	}
	for k, v := range q {
		switch k {
		case "db":
			if opts.DB, err = strconv.Atoi(v[len(v)-1]); err != nil || opts.DB < 0 {
				return nil, fmt.Errorf("redis-sentinel URL: db %q is not a database number", v[len(v)-1])
			}
		case "sentinel_password":
			opts.SentinelPassword = v[len(v)-1]
		default:
			return nil, fmt.Errorf("redis-sentinel URL: unknown parameter %q (db and sentinel_password are known)", k)
		}
	}
	return opts, nil
}
