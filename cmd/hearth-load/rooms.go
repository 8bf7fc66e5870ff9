package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// createdRoom is the part of the answer to POST /api/rooms that is used
// (admin.Room).
type createdRoom struct {
	ID              string `json:"id"`
	MemberLink      string `json:"memberLink"`
	FacilitatorLink string `json:"facilitatorLink"`
}

// roomRef is a room the bots join.
type roomRef struct {
	ID string
	// MemberKey lets the bots in (the "k" of the member link).
	MemberKey string
	// FacilitatorKey, when known, makes the room's first bot its
	// facilitator, who turns the waiting room and mute-on-entry off.
	FacilitatorKey string
}

// createRooms creates cfg.Rooms rooms through the admin API of the first
// server.
func createRooms(ctx context.Context, cfg config) ([]roomRef, error) {
	hc := &http.Client{Timeout: 10 * time.Second}
	rooms := make([]roomRef, 0, cfg.Rooms)
	for i := range cfg.Rooms {
		r, err := createRoom(ctx, hc, cfg.URLs[0], cfg.AdminToken, fmt.Sprintf("hearth-load %d", i+1))
		if err != nil {
			return nil, fmt.Errorf("create room %d of %d: %w", i+1, cfg.Rooms, err)
		}
		rooms = append(rooms, r)
	}
	return rooms, nil
}

func createRoom(ctx context.Context, hc *http.Client, base, token, name string) (roomRef, error) {
	body, err := json.Marshal(map[string]string{"name": name})
	if err != nil {
		return roomRef{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/rooms", bytes.NewReader(body))
	if err != nil {
		return roomRef{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return roomRef{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return roomRef{}, err
	}
	if resp.StatusCode != http.StatusCreated {
		msg := strings.TrimSpace(string(data))
		switch resp.StatusCode {
		case http.StatusUnauthorized:
			msg += " (check --admin-token)"
		case http.StatusNotFound:
			msg += " (is the server's admin API on? start it with --admin-token)"
		}
		return roomRef{}, fmt.Errorf("POST %s/api/rooms: %s: %s", base, resp.Status, msg)
	}
	var created createdRoom
	if err := json.Unmarshal(data, &created); err != nil || created.ID == "" {
		return roomRef{}, fmt.Errorf("POST %s/api/rooms: unexpected answer %q", base, data)
	}
	return roomRef{ID: created.ID, MemberKey: linkKey(created.MemberLink, "k"),
		FacilitatorKey: linkKey(created.FacilitatorLink, "f")}, nil
}

// linkKey returns the parameter name of a link's fragment (k, f), or "".
func linkKey(link, name string) string {
	_, frag, ok := strings.Cut(link, "#")
	if !ok {
		return ""
	}
	v, err := url.ParseQuery(frag)
	if err != nil {
		return ""
	}
	return v.Get(name)
}
