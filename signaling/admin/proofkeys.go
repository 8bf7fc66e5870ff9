package admin

import (
	"net/http"

	"github.com/hearth-meet/hearth/room/attest"
)

// ProofKeys is the answer of /api/proof-keys: the public keys proofs of
// attendance are checked with, oldest first; the last one signs.
type ProofKeys struct {
	Keys []attest.PublicKey `json:"keys"`
}

// proofKeys serves GET /api/proof-keys and, with rotate, POST
// /api/proof-keys/rotate.
func (a *api) proofKeys(rotate bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a.ProofKeys == nil {
			writeError(w, http.StatusNotFound, CodeNotFound, "this server gives no proofs of attendance")
			return
		}
		keys, err := a.ProofKeys(r.Context(), rotate)
		if err != nil {
			a.fail(w, "proof keys", err)
			return
		}
		writeJSON(w, http.StatusOK, ProofKeys{Keys: keys})
	}
}
