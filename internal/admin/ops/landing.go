package ops

import "net/http"

func (h *Handler) landing(w http.ResponseWriter, r *http.Request, u User) {
	h.render(w, r, u, "landing", "Operations", nil)
}
