package httpapi

import (
	"github.com/gin-gonic/gin"

	"github.com/techx-cz/techx/internal/techx"
)

// routes registers every route of the API; the OpenAPI conformance test
// checks this set against api/openapi.yaml both ways.
func routes(r *gin.Engine, d *Deps) {
	r.GET("/healthz", handleHealthz())
	r.GET("/readyz", handleReadyz(d.Ready))

	v1 := r.Group("/api/v1", authenticate(d.Auth))
	v1.GET("/openapi.yaml", handleOpenAPI(d.OpenAPI))
	v1.GET("/taxonomy", handleTaxonomy(d.Taxonomy))

	a := v1.Group("/auth", noStore())
	a.POST("/register", handleRegister(d.Auth))
	a.POST("/login", handleLogin(d.Auth))
	a.POST("/refresh", handleRefresh(d.Auth))
	a.POST("/logout", handleLogout(d.Auth))
	v1.GET("/me", noStore(), requireUser(), handleMe())

	v1.GET("/organizations/:id", requireUser(), handleOrganizationGet(d.Users))
	v1.POST("/organizations/:id/invitations", requireUser(), handleInvitationCreate(d.Users, d.Now))
	v1.POST("/organizations/:id/verify", requireRole(techx.RoleAdmin), handleOrganizationVerify(d.Users, d.Now))
}
