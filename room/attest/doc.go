// Package attest issues and checks proofs of attendance (issue 14):
// self-contained statements signed with Ed25519 (RFC 8032) that a person
// attended a meeting, saying only the meeting's public label, when they
// joined and left, the minutes present, the name they chose to put on it
// (or none) and whether a facilitator confirmed it. The server keeps no
// list of who asked for one: everything a check needs is in the proof.
//
// # Proofs
//
// A proof is the token "HP1.<payload>.<signature>": the payload is the
// statement's JSON (base64url, no padding) exactly as signed, the
// signature is Ed25519 over those bytes by the key the statement names.
// Checking decodes the payload strictly (an unknown field or a changed
// byte fails) and shows the statement as it was signed.
//
// # Short codes
//
// A proof also has a short code, 16 characters of Crockford base32 in
// four groups (80 bits): the key's number (4 bits), the minute the person
// joined counted from 2025-01-01 UTC (25 bits), the minutes until they
// left (12 bits), whether a facilitator confirmed (1 bit) and a 38-bit
// tag, HMAC-SHA256 under a key derived from the signing key over those
// fields and the name on the proof. A code can therefore be checked with
// nothing stored: it shows when the person attended; with the name
// printed on the proof typed beside it, it also shows that the name is
// the one signed. The meeting's label is shown only by the full proof
// (its QR code or file).
//
// # Keys
//
// A Keyring holds the server's signing keys, oldest first; the newest
// signs. Rotate adds a key: proofs and codes made with older keys still
// check. The keyring is kept, as opaque bytes, with the rooms' directory
// (room.Directory's ProofKeys), so a restart changes nothing.
package attest
