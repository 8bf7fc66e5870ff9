package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/signaling/admin"
)

// demoName is the demo room's name.
const demoName = "Demo meeting"

// printDemoLinks makes the demo room when no room exists (rooms made
// through the API or the CLI get the safe defaults, waiting room and muted
// on entry; the demo room lets everyone in), and prints its two links, on
// every start: the oldest room named demoName, kept from an earlier run
// too. When an operator has deleted it and other rooms exist, nothing is
// printed.
func printDemoLinks(ctx context.Context, rooms *room.Service, base string, stdout io.Writer) error {
	all, err := rooms.ListRooms(ctx)
	if err != nil {
		return fmt.Errorf("list rooms: %w", err)
	}
	demo := oldestDemo(all)
	if demo == nil && len(all) == 0 {
		// The demo room's id is derived from the link secret (Key), so
		// that instances starting at once on an empty Redis make one room
		// between them: the others read the one made.
		demo, err = rooms.CreateRoom(ctx, room.RoomSpec{Name: demoName, Settings: room.DemoSettings(), Key: "demo"})
		if errors.Is(err, room.ErrExists) {
			if all, err = rooms.ListRooms(ctx); err == nil {
				demo = oldestDemo(all)
			}
		}
		if err != nil {
			return err
		}
	}
	if demo == nil {
		return nil
	}
	return printLinks(ctx, rooms, base, demo, stdout)
}

// oldestDemo is the first room named demoName in rooms (oldest first).
func oldestDemo(rooms []*room.Definition) *room.Definition {
	for _, d := range rooms {
		if d.Name == demoName {
			return d
		}
	}
	return nil
}

// printLinks prints a room's two links, in the form every start and
// `hearth rooms create` use.
func printLinks(ctx context.Context, rooms *room.Service, base string, d *room.Definition, stdout io.Writer) error {
	member, facilitator, err := rooms.LinkKeys(ctx, d)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "member link: %s\n", admin.RoomLink(base, d.ID, "k", member))
	fmt.Fprintf(stdout, "facilitator link: %s\n", admin.RoomLink(base, d.ID, "f", facilitator))
	return nil
}

// instanceName is how /api/health names this instance.
func instanceName(st *state) string {
	if st.registry != nil {
		return st.registry.Instance()
	}
	return "single"
}
