package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/techx-cz/techx/internal/auth"
	"github.com/techx-cz/techx/internal/techx"
)

func handleRegister(svc *auth.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		var r techx.Registration
		if err := decode(c, &r); err != nil {
			writeError(c, err)
			return
		}
		u, err := svc.Register(c.Request.Context(), &r)
		if err != nil {
			writeError(c, err)
			return
		}
		org := u.Organization
		u.Organization = nil
		writeJSON(c, http.StatusCreated, gin.H{"user": u, "organization": org})
	}
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func handleLogin(svc *auth.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		var r loginRequest
		if err := decode(c, &r); err != nil {
			writeError(c, err)
			return
		}
		var v techx.Validation
		v.Check(r.Email != "", "email", "is required")
		v.Check(r.Password != "", "password", "is required")
		v.Check(len(r.Password) <= 256, "password", "must be at most 256 bytes")
		if err := v.Err(); err != nil {
			writeError(c, err)
			return
		}
		p, err := svc.Login(c.Request.Context(), r.Email, r.Password, c.ClientIP())
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusOK, p)
	}
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

func handleRefresh(svc *auth.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		var r refreshRequest
		if err := decode(c, &r); err != nil {
			writeError(c, err)
			return
		}
		p, err := svc.Refresh(c.Request.Context(), r.RefreshToken)
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusOK, p)
	}
}

func handleLogout(svc *auth.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		var r refreshRequest
		if err := decode(c, &r); err != nil {
			writeError(c, err)
			return
		}
		if r.RefreshToken == "" {
			writeError(c, &techx.Error{Code: techx.EINVALID, Message: "refresh_token is required.",
				Fields: []techx.FieldError{{Field: "refresh_token", Message: "is required"}}})
			return
		}
		if err := svc.Logout(c.Request.Context(), r.RefreshToken); err != nil {
			writeError(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	}
}

func handleMe() gin.HandlerFunc {
	return func(c *gin.Context) {
		writeJSON(c, http.StatusOK, techx.UserFromContext(c.Request.Context()))
	}
}

func handleOrganizationGet(users techx.UserService) gin.HandlerFunc {
	return func(c *gin.Context) {
		o, err := users.FindOrganizationByID(c.Request.Context(), c.Param("id"))
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusOK, o)
	}
}

// InvitationTTL is how long an invitation code stays valid.
const InvitationTTL = 7 * 24 * time.Hour

func handleInvitationCreate(users techx.UserService, now func() time.Time) gin.HandlerFunc {
	return func(c *gin.Context) {
		u := techx.UserFromContext(c.Request.Context())
		org, err := users.FindOrganizationByID(c.Request.Context(), c.Param("id"))
		if err != nil {
			writeError(c, err)
			return
		}
		if u.OrgID != org.ID || !u.OrgOwner {
			writeError(c, techx.Errorf(techx.EFORBIDDEN, "Only the organization's owner may invite members."))
			return
		}
		inv := &techx.Invitation{Code: auth.RandomToken(18), OrgID: org.ID, CreatedBy: u.ID, ExpiresAt: now().Add(InvitationTTL)}
		if err := users.CreateInvitation(c.Request.Context(), inv); err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusCreated, inv)
	}
}

func handleOrganizationVerify(users techx.UserService, now func() time.Time) gin.HandlerFunc {
	return func(c *gin.Context) {
		o, err := users.VerifyOrganization(c.Request.Context(), c.Param("id"), now())
		if err != nil {
			writeError(c, err)
			return
		}
		writeJSON(c, http.StatusOK, o)
	}
}
