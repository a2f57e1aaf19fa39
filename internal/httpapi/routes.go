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
	// Operations: Prometheus metrics and the rendered API description
	// (Redoc, embedded; see ops.go).
	r.GET("/metrics", handleMetrics(d.Metrics))
	r.GET("/docs", handleDocs())
	r.GET("/docs/redoc.standalone.js", handleDocsJS())

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

	// The catalog: needs (技术需求) and results (科技成果). Reads are public
	// (visibility rules in the service); writes need an account.
	ch := &catalogHandlers{svc: d.Catalog, tx: d.Taxonomy, now: d.Now}
	v1.GET("/needs", ch.needList())
	v1.POST("/needs", requireRole(techx.RoleEnterprise), ch.needCreate())
	v1.POST("/needs/import", requireRole(techx.RoleEnterprise), ch.needImport())
	v1.GET("/needs/import/template", handleImportTemplate("needs", needColumns))
	v1.GET("/needs/:id", ch.needGet())
	v1.PATCH("/needs/:id", requireUser(), ch.needPatch())
	v1.DELETE("/needs/:id", requireUser(), ch.needDelete())
	v1.POST("/needs/:id/publish", requireUser(), ch.needAction(techx.ActionPublish))
	v1.POST("/needs/:id/close", requireUser(), ch.needAction(techx.ActionClose))
	v1.POST("/needs/:id/renew", requireUser(), ch.needAction(techx.ActionRenew))
	v1.POST("/needs/:id/unpublish", requireUser(), ch.needAction(techx.ActionUnpublish))

	v1.GET("/results", ch.resultList())
	v1.POST("/results", requireRole(techx.RoleInstitution), ch.resultCreate())
	v1.POST("/results/import", requireRole(techx.RoleInstitution), ch.resultImport())
	v1.GET("/results/import/template", handleImportTemplate("results", resultColumns))
	v1.GET("/results/:id", ch.resultGet())
	v1.PATCH("/results/:id", requireUser(), ch.resultPatch())
	v1.DELETE("/results/:id", requireUser(), ch.resultDelete())
	v1.POST("/results/:id/publish", requireUser(), ch.resultAction(techx.ActionPublish))
	v1.POST("/results/:id/withdraw", requireUser(), ch.resultAction(techx.ActionWithdraw))
	v1.POST("/results/:id/renew", requireUser(), ch.resultAction(techx.ActionRenew))
	v1.POST("/results/:id/unpublish", requireUser(), ch.resultAction(techx.ActionUnpublish))

	// Search and matching over the bleve index (kept in step by the outbox).
	sh := &searchHandlers{ix: d.Index, listings: d.Listings, cat: d.Catalog, tx: d.Taxonomy, now: d.Now}
	v1.GET("/search", sh.search())
	v1.GET("/needs/:id/matches", sh.needMatches())
	v1.GET("/results/:id/matches", sh.resultMatches())
	v1.POST("/needs/:id/matches/:result_id/feedback", requireUser(), sh.matchFeedback())

	// Contracts, statistics and targets (issue 6).
	staff := requireRole(techx.RoleBroker, techx.RoleAdmin)
	admin := requireRole(techx.RoleAdmin)
	v1.POST("/contracts", requireUser(), handleContractCreate(d.Contracts, d.Deals))
	v1.GET("/contracts", staff, handleContractList(d.Contracts))
	v1.GET("/contracts/export", staff, handleContractExport(d.Contracts))
	v1.GET("/contracts/:id", requireUser(), handleContractGet(d.Contracts))
	v1.PATCH("/contracts/:id", staff, handleContractUpdate(d.Contracts))
	v1.POST("/contracts/:id/verify", admin, handleContractVerify(d.Contracts))
	v1.POST("/contracts/:id/void", admin, handleContractVoid(d.Contracts))
	v1.GET("/contracts/:id/audit", admin, handleContractAudit(d.Contracts))
	v1.GET("/stats/turnover", handleTurnover(d.Contracts))
	v1.GET("/targets", handleTargetList(d.Targets))
	v1.POST("/targets", admin, handleTargetCreate(d.Targets))
	v1.PUT("/targets/:code/official/:year", admin, handleOfficialSet(d.Targets))
	v1.GET("/targets/:code/progress", handleTargetProgress(d.Targets, d.Now))
	v1.GET("/targets/:code/chart.svg", handleTargetChart(d.Targets, d.Now))
	v1.GET("/indicators", handleIndicatorList(d.Targets))
	v1.PUT("/indicators/:no/values/:year", admin, handleIndicatorSet(d.Targets))

	// Brokering: deals, challenges, saved searches, notifications (issue 5).
	bh := &brokerHandlers{deals: d.Brokering, challenges: d.Challenges, inbox: d.Notifications, tx: d.Taxonomy, now: d.Now}
	ch.deals = d.Brokering // confidential needs disclosed to accepted deals' result side
	sh.deals = d.Brokering
	v1.POST("/deals", requireUser(), bh.dealCreate())
	v1.GET("/deals", requireUser(), bh.dealList())
	v1.GET("/deals/:id", requireUser(), bh.dealGet())
	v1.POST("/deals/:id/stage", requireUser(), bh.dealStage())
	v1.POST("/deals/:id/notes", requireUser(), bh.dealNote())
	v1.POST("/deals/:id/assign", requireUser(), bh.dealAssign())
	v1.GET("/brokers/me/pipeline", requireRole(techx.RoleBroker), bh.pipeline())
	v1.POST("/needs/:id/challenge", requireRole(techx.RoleEnterprise), bh.challengeCreate())
	v1.GET("/challenges", bh.challengeList())
	v1.GET("/challenges/:id", bh.challengeGet())
	v1.POST("/challenges/:id/applications", requireRole(techx.RoleInstitution), bh.applicationCreate())
	v1.GET("/challenges/:id/applications", requireUser(), bh.applicationList())
	v1.POST("/challenges/:id/award", requireRole(techx.RoleEnterprise), bh.challengeAward())
	v1.POST("/saved-searches", requireUser(), bh.savedSearchCreate())
	v1.GET("/saved-searches", requireUser(), bh.savedSearchList())
	v1.DELETE("/saved-searches/:id", requireUser(), bh.savedSearchDelete())
	v1.GET("/notifications", requireUser(), bh.notificationList())
	v1.POST("/notifications/read-all", requireUser(), bh.notificationReadAll())
	v1.POST("/notifications/:id/read", requireUser(), bh.notificationRead())
}
