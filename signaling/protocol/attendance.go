package protocol

// Proofs of attendance (docs/attendance.md).
const (
	// TypeAttendanceProof asks for a proof of attendance (AttendanceRequest);
	// the server answers with the proof (AttendanceProof), same type.
	TypeAttendanceProof = "attendance_proof"
	// TypeConfirmAttendance: a facilitator confirms a member's attendance
	// (ConfirmAttendance); the member and the facilitators get an event
	// of kind attendance_confirmed.
	TypeConfirmAttendance = "confirm_attendance"
)

// AttendanceRequest asks for a proof of attendance with the name to put
// on it ("" or absent: none).
type AttendanceRequest struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

// AttendanceProof is a signed proof of attendance, for its holder only.
type AttendanceProof struct {
	Type string `json:"type"`
	Attested
	// Code is the short code ("" for an attendance too long for one);
	// Token the whole proof (the file's content); QR a PNG data: URL of
	// the QR code of VerifyURL#Token; VerifyURL where to check it.
	Code      string `json:"code"`
	Token     string `json:"token"`
	QR        string `json:"qr"`
	VerifyURL string `json:"verifyUrl"`
}

// Attested is what a proof of attendance states, as people read it: the
// meeting's public label, the date (YYYY-MM-DD), the times joined and
// left (HH:MM) in Zone ("UTC" or "UTC+01:00"), the whole minutes
// present, the name ("" for none) and whether a facilitator confirmed
// it. The proof's holder gets it with the proof; /verify shows it for a
// genuine proof.
type Attested struct {
	Label     string `json:"label"`
	Date      string `json:"date"`
	Joined    string `json:"joined"`
	Left      string `json:"left"`
	Zone      string `json:"zone"`
	Minutes   int    `json:"minutes"`
	Name      string `json:"name"`
	Confirmed bool   `json:"confirmed"`
}

// ConfirmAttendance is a facilitator's confirmation of a participant's
// attendance.
type ConfirmAttendance struct {
	Type        string `json:"type"`
	Participant string `json:"participant"`
}
