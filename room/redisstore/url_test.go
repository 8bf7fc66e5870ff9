package redisstore

import (
	"reflect"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestParseSentinelURL(t *testing.T) {
	for _, c := range []struct {
		url  string
		want redis.FailoverOptions
	}{
		{"redis-sentinel://127.0.0.1:26379/mymaster",
			redis.FailoverOptions{MasterName: "mymaster", SentinelAddrs: []string{"127.0.0.1:26379"}}},
		{"redis-sentinel://:s%40cret@a:1,b:2,[::1]:3/hearth?db=2",
			redis.FailoverOptions{MasterName: "hearth", SentinelAddrs: []string{"a:1", "b:2", "[::1]:3"}, Password: "s@cret", DB: 2}},
		{"redis-sentinel://app:pw@sentinel-1,sentinel-2/hearth?sentinel_password=sp",
			redis.FailoverOptions{MasterName: "hearth", SentinelAddrs: []string{"sentinel-1:26379", "sentinel-2:26379"},
				Username: "app", Password: "pw", SentinelPassword: "sp"}},
	} {
		got, err := parseSentinelURL(c.url)
		if err != nil {
			t.Errorf("%s: %v", c.url, err)
			continue
		}
		if !reflect.DeepEqual(*got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.url, *got, c.want)
		}
	}
	for _, c := range []struct{ url, says string }{
		{"redis-sentinel://a:1", "master's name"},
		{"redis-sentinel://a:1/", "master's name"},
		{"redis-sentinel:///mymaster", "no Sentinel address"},
		{"redis-sentinel://a:1/m/extra", "master's name"},
		{"redis-sentinel://a:1/m?db=x", "db"},
		{"redis-sentinel://a:1/m?dbb=1", "unknown parameter"},
		{"redis-sentinel://:secret@a:b:c/m", "host:port"},
	} {
		_, err := parseSentinelURL(c.url)
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: error %v, want one saying %q", c.url, err, c.says)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: the error repeats the password: %v", c.url, err)
		}
	}
}

func TestNewClientOneServer(t *testing.T) {
	c, err := NewClient("redis://:pw@127.0.0.1:6390/3")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if o := c.(*redis.Client).Options(); o.Addr != "127.0.0.1:6390" || o.DB != 3 || o.Password != "pw" {
		t.Errorf("options %+v", o)
	}
	if _, err := NewClient("http://:secret@x/"); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("a wrong scheme: %v", err)
	}
}
