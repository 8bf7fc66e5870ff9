package room

// Template is a ready meeting format an operator starts from.
type Template struct {
	// ID names the template in the API and the CLI, e.g. "12-step".
	ID          string `json:"id"`
	Description string `json:"description"`
	Format      Format `json:"format"`
}

// Templates returns the ready formats (docs/formats.md): a 12-step style
// meeting, a SMART-style meeting, and a clinical therapy group. The texts
// are Hearth's own wording; groups replace them with their readings.
func Templates() []Template {
	return []Template{twelveStep(), smart(), therapyGroup()}
}

// TemplateIDs lists the templates' ids.
func TemplateIDs() []string {
	var ids []string
	for _, t := range Templates() {
		ids = append(ids, t.ID)
	}
	return ids
}

// TemplateByID returns the template with the id; ok is false when there is
// none.
func TemplateByID(id string) (Template, bool) {
	for _, t := range Templates() {
		if t.ID == id {
			return t, true
		}
	}
	return Template{}, false
}

func twelveStep() Template {
	return Template{
		ID:          "12-step",
		Description: "12-step style: readings by the chair, no cross-talk, raise your hand to share, 3 to 5 minute shares",
		Format: Format{Name: "12-step meeting", Segments: []Segment{
			{Title: "Welcome", Speaking: SpeakFacilitators, ChatOpen: true,
				Text: "Welcome. The chair opens the meeting. Please stay muted; you can keep your camera off " +
					"and use a first name only. What is said here stays here."},
			{Title: "Moment of silence", Speaking: SpeakFacilitators,
				Text: "We begin with a moment of silence."},
			{Title: "Readings", Speaking: SpeakFacilitators,
				Text: "The chair or a reader reads the group's readings. Please listen."},
			{Title: "Sharing", Speaking: SpeakCalledOn, ShareSeconds: 240, AutoMute: true,
				Text: "Raise your hand to share. Share from your own experience, about 3 to 5 minutes; " +
					"your microphone is muted when your time is up. No cross-talk: we do not comment on, " +
					"question or give advice about anyone else's share. Chat is closed while people share."},
			{Title: "Announcements", Speaking: SpeakCalledOn, ChatOpen: true,
				Text: "Group announcements. Raise your hand if you have one."},
			{Title: "Closing", Speaking: SpeakFacilitators, ChatOpen: true,
				Text: "Thank you for coming. Keep coming back. The group is self-supporting through " +
					"its members' own contributions."},
		}},
	}
}

func smart() Template {
	return Template{
		ID:          "smart",
		Description: "SMART-style: a check-in round in order, then open discussion and a check-out",
		Format: Format{Name: "SMART-style meeting", Segments: []Segment{
			{Title: "Welcome", Speaking: SpeakFacilitators, ChatOpen: true,
				Text: "Welcome. The facilitator introduces the meeting and its purpose: learning tools for " +
					"self-empowered recovery from one another."},
			{Title: "Check-in round", Speaking: SpeakCalledOn, ShareSeconds: 120, AutoMute: true,
				Text: "Check-in, in order: the facilitator calls on each person in turn. Say how your week " +
					"went and whether there is something you would like to work on tonight (about 2 minutes). " +
					"You may pass."},
			{Title: "Open discussion", Speaking: SpeakOpen, ChatOpen: true,
				Text: "Open discussion of the topics from the check-in, using the tools (cost-benefit analysis, " +
					"ABCs, change plan). Unmute to speak; one person at a time, and leave room for others."},
			{Title: "Check-out", Speaking: SpeakCalledOn, ShareSeconds: 60, AutoMute: true,
				Text: "Check-out: one thing you take away from tonight (about a minute)."},
			{Title: "Closing", Speaking: SpeakFacilitators, ChatOpen: true,
				Text: "Thank you for coming."},
		}},
	}
}

func therapyGroup() Template {
	return Template{
		ID:          "therapy-group",
		Description: "Clinical therapy group: guidelines, check-in, group work led by the therapist, reflection",
		Format: Format{Name: "Therapy group", Segments: []Segment{
			{Title: "Welcome and guidelines", Speaking: SpeakFacilitators,
				Text: "Welcome. Confidentiality: what is said in this group stays in this group. Speak for " +
					"yourself, listen without interrupting, and be respectful. You may stay off camera. " +
					"The therapist will say when the group may speak."},
			{Title: "Check-in", Speaking: SpeakCalledOn, ShareSeconds: 120,
				Text: "Each person checks in when the therapist calls on them: how you are today, in a few words."},
			{Title: "Group work", Speaking: SpeakOpen,
				Text: "Group work on today's topic, led by the therapist. Unmute to speak."},
			{Title: "Reflection", Speaking: SpeakCalledOn, ShareSeconds: 90,
				Text: "Raise your hand to share a reflection on today's session."},
			{Title: "Closing", Speaking: SpeakFacilitators, ChatOpen: true,
				Text: "The therapist closes the session. If you need support before the next meeting, " +
					"contact the center."},
		}},
	}
}
