package main

import (
	"context"
	"io"
)

// command is a subcommand of hearth: args after its name, the
// environment, and where its output and errors go.
type command func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error

// commands are hearth's subcommands by name (os.Args[1]). Without one,
// hearth runs the server. Each line is one subcommand.
func commands() map[string]command {
	return map[string]command{
		"config":      configCommand,
		"version":     versionCommand,
		"healthcheck": healthcheckCommand,
		"rooms":       roomsCommand,
		"invites":     invitesCommand,
		"formats":     formatsCommand,
		"proof-keys":  proofKeysCommand,
	}
}

// dispatch runs the subcommand args[0] names, or the server. ctx ends
// both at once; drainNow, when closed, starts the server's drain and ends
// a subcommand.
func dispatch(ctx context.Context, drainNow <-chan struct{}, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		if cmd, ok := commands()[args[0]]; ok {
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			go func() {
				select {
				case <-drainNow:
					cancel()
				case <-ctx.Done():
				}
			}()
			return cmd(ctx, args[1:], getenv, stdout, stderr)
		}
	}
	return run(ctx, drainNow, args, getenv, stdout, stderr, nil)
}
