package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/hearth-meet/hearth/signaling/admin"
)

// proofKeysCommand runs `hearth proof-keys list|rotate`: the keys that
// sign proofs of attendance (docs/attendance.md). Rotating adds a key that
// signs from then on; proofs signed before still check.
func proofKeysCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	usage := "usage: hearth proof-keys list | rotate [--data-dir DIR | --server URL --admin-token-file FILE]"
	if len(args) == 0 || (args[0] != "list" && args[0] != "rotate") {
		return errors.New(usage)
	}
	sub := args[0]
	fs, o := cliFlags("hearth proof-keys "+sub, getenv, stderr)
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return errors.New(usage)
	}
	c, err := o.client(false)
	if err != nil {
		return err
	}
	defer c.close()
	method, path := http.MethodGet, "/api/proof-keys"
	if sub == "rotate" {
		method, path = http.MethodPost, "/api/proof-keys/rotate"
	}
	var keys admin.ProofKeys
	if err := c.call(ctx, method, path, nil, &keys); err != nil {
		return err
	}
	for i, k := range keys.Keys {
		state := "checks older proofs"
		if i == len(keys.Keys)-1 {
			state = "signs new proofs"
		}
		fmt.Fprintf(stdout, "key %d %s made %s: %s\n", k.N, k.ID, k.Created.Format(time.RFC3339), state)
	}
	return nil
}
