package store

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/techx-cz/techx/internal/techx"
)

type notificationRow struct {
	ID            string
	UserID        string
	Kind          string
	Message       string
	DealID        *string
	ChallengeID   *string
	SavedSearchID *string
	ListingKind   *string
	ListingID     *string
	ReadAt        *time.Time
	CreatedAt     time.Time
}

func (notificationRow) TableName() string { return "notifications" }

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (r *notificationRow) domain() *techx.Notification {
	return &techx.Notification{ID: r.ID, UserID: r.UserID, Kind: r.Kind, Message: r.Message, DealID: deref(r.DealID),
		ChallengeID: deref(r.ChallengeID), SavedSearchID: deref(r.SavedSearchID), ListingKind: deref(r.ListingKind),
		ListingID: deref(r.ListingID), ReadAt: utcPtr(r.ReadAt), CreatedAt: r.CreatedAt.UTC()}
}

type savedSearchRow struct {
	ID           string
	UserID       string
	Kind         string
	Q            string
	Industry     string
	County       string
	SourceRegion string
	TRLMin       int `gorm:"column:trl_min"`
	Bottleneck   *bool
	CreatedAt    time.Time
}

func (savedSearchRow) TableName() string { return "saved_searches" }

func (r *savedSearchRow) domain() *techx.SavedSearch {
	return &techx.SavedSearch{ID: r.ID, UserID: r.UserID, Kind: r.Kind, Q: r.Q, Industry: r.Industry, County: r.County,
		SourceRegion: r.SourceRegion, TRLMin: r.TRLMin, Bottleneck: r.Bottleneck, CreatedAt: r.CreatedAt.UTC()}
}

// orgMembers returns the ids of the users of the organizations.
func orgMembers(tx *gorm.DB, orgIDs ...string) ([]string, error) {
	var ids []string
	err := tx.Raw("SELECT id FROM users WHERE org_id IN ? ORDER BY id", orgIDs).Scan(&ids).Error
	return ids, err
}

// notify writes n to the inbox of every user in users but except, once
// each, in tx.
func notify(tx *gorm.DB, now time.Time, users []string, except string, n techx.Notification) error {
	seen := map[string]bool{except: true, "": true}
	for _, u := range users {
		if seen[u] {
			continue
		}
		seen[u] = true
		row := notificationRow{ID: newID(), UserID: u, Kind: n.Kind, Message: n.Message, DealID: strPtr(n.DealID),
			ChallengeID: strPtr(n.ChallengeID), CreatedAt: now}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
	}
	return nil
}

// NotificationService implements techx.NotificationService.
type NotificationService struct {
	db *DB
	tx *techx.Taxonomy
}

// NewNotificationService returns a NotificationService on db.
func NewNotificationService(db *DB, tx *techx.Taxonomy) *NotificationService {
	return &NotificationService{db: db, tx: tx}
}

var _ techx.NotificationService = (*NotificationService)(nil)

func caller(ctx context.Context) (*techx.User, error) {
	u := techx.UserFromContext(ctx)
	if u == nil {
		return nil, techx.Errorf(techx.EUNAUTHORIZED, "Log in first.")
	}
	return u, nil
}

// CreateSavedSearch implements techx.NotificationService.
func (s *NotificationService) CreateSavedSearch(ctx context.Context, in *techx.SavedSearchInput) (*techx.SavedSearch, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	ss, err := in.Validate(s.tx)
	if err != nil {
		return nil, err
	}
	ss.ID, ss.UserID, ss.CreatedAt = newID(), u.ID, s.db.Now()
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Table("saved_searches").Where("user_id = ?", u.ID).Count(&n).Error; err != nil {
			return err
		}
		if n >= techx.MaxSavedSearches {
			return techx.Errorf(techx.ECONFLICT, "You have %d saved searches, the most allowed; delete one first.", n)
		}
		return tx.Create(&savedSearchRow{ID: ss.ID, UserID: ss.UserID, Kind: ss.Kind, Q: ss.Q, Industry: ss.Industry,
			County: ss.County, SourceRegion: ss.SourceRegion, TRLMin: ss.TRLMin, Bottleneck: ss.Bottleneck, CreatedAt: ss.CreatedAt}).Error
	})
	if err != nil {
		return nil, dbError(err)
	}
	return ss, nil
}

// FindSavedSearches implements techx.NotificationService.
func (s *NotificationService) FindSavedSearches(ctx context.Context) ([]*techx.SavedSearch, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var rows []savedSearchRow
	if err := s.db.gorm.WithContext(ctx).Where("user_id = ?", u.ID).Order("created_at DESC").Order("id DESC").Find(&rows).Error; err != nil {
		return nil, dbError(err)
	}
	out := make([]*techx.SavedSearch, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

// DeleteSavedSearch implements techx.NotificationService.
func (s *NotificationService) DeleteSavedSearch(ctx context.Context, id string) error {
	u, err := caller(ctx)
	if err != nil {
		return err
	}
	res := s.db.gorm.WithContext(ctx).Exec("DELETE FROM saved_searches WHERE id = ? AND user_id = ?", id, u.ID)
	if res.Error != nil {
		return dbError(res.Error)
	}
	if res.RowsAffected == 0 {
		return notFound("saved search")
	}
	return nil
}

// FindNotifications implements techx.NotificationService.
func (s *NotificationService) FindNotifications(ctx context.Context, f techx.NotificationFilter) ([]*techx.Notification, int, string, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, 0, "", err
	}
	q := s.db.gorm.WithContext(ctx).Model(&notificationRow{}).Where("user_id = ?", u.ID)
	if f.Unread {
		q = q.Where("read_at IS NULL")
	}
	q, total, err := keysetPage(q, "created_at", "id", f.Cursor, f.PageSize)
	if err != nil {
		return nil, 0, "", dbError(err)
	}
	var rows []notificationRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, 0, "", dbError(err)
	}
	rows, next := trimPage(rows, f.PageSize, func(r notificationRow) (time.Time, string) { return r.CreatedAt, r.ID })
	out := make([]*techx.Notification, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, total, next, nil
}

// MarkRead implements techx.NotificationService.
func (s *NotificationService) MarkRead(ctx context.Context, id string) (*techx.Notification, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var row notificationRow
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("id = ? AND user_id = ?", id, u.ID).Take(&row).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			return notFound("notification")
		} else if err != nil {
			return err
		}
		if row.ReadAt != nil {
			return nil
		}
		now := s.db.Now()
		row.ReadAt = &now
		return tx.Exec("UPDATE notifications SET read_at = ? WHERE id = ? AND user_id = ?", now, id, u.ID).Error
	})
	if err != nil {
		return nil, dbError(err)
	}
	return row.domain(), nil
}

// MarkAllRead implements techx.NotificationService.
func (s *NotificationService) MarkAllRead(ctx context.Context) (int, error) {
	u, err := caller(ctx)
	if err != nil {
		return 0, err
	}
	res := s.db.gorm.WithContext(ctx).Exec("UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL", s.db.Now(), u.ID)
	return int(res.RowsAffected), dbError(res.Error)
}

// NotifySavedSearches implements techx.NotificationService. The unique
// index on (saved_search_id, listing_id) makes the notification happen at
// most once, whatever the number of re-publications or replicas.
func (s *NotificationService) NotifySavedSearches(ctx context.Context, l techx.ListingRef, match techx.SavedSearchMatcher) (int, error) {
	var rows []struct {
		ID           string
		UserID       string
		Kind         string
		Q            string
		Industry     string
		County       string
		SourceRegion string
		TRLMin       int `gorm:"column:trl_min"`
		Bottleneck   *bool
		CreatedAt    time.Time
		OwnerOrgID   string
		OwnerRole    string
	}
	g := s.db.gorm.WithContext(ctx)
	err := g.Table("saved_searches").Select("saved_searches.*, users.org_id AS owner_org_id, users.role AS owner_role").
		Joins("JOIN users ON users.id = saved_searches.user_id").
		Where("(saved_searches.kind = '' OR saved_searches.kind = ?) AND users.org_id <> ?", l.Kind, l.OrgID).
		Where("NOT EXISTS (SELECT 1 FROM notifications n WHERE n.saved_search_id = saved_searches.id AND n.listing_id = ?)", l.ID).
		Order("saved_searches.id").Find(&rows).Error
	if err != nil {
		return 0, dbError(err)
	}
	notified := 0
	for i := range rows {
		x := rows[i]
		ss := (&savedSearchRow{ID: x.ID, UserID: x.UserID, Kind: x.Kind, Q: x.Q, Industry: x.Industry, County: x.County,
			SourceRegion: x.SourceRegion, TRLMin: x.TRLMin, Bottleneck: x.Bottleneck, CreatedAt: x.CreatedAt}).domain()
		owner := &techx.User{ID: ss.UserID, OrgID: rows[i].OwnerOrgID, Role: techx.Role(rows[i].OwnerRole)}
		ok, err := match(ctx, ss, owner, l)
		if err != nil {
			return notified, err
		}
		if !ok {
			continue
		}
		what := "需求"
		if l.Kind == techx.KindResult {
			what = "成果"
		}
		res := g.Exec(`INSERT INTO notifications (id, user_id, kind, message, saved_search_id, listing_kind, listing_id, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			newID(), ss.UserID, techx.NotifySavedSearchMatch, "新发布的"+what+"符合您保存的搜索：「"+l.Title+"」",
			ss.ID, l.Kind, l.ID, s.db.Now())
		if res.Error != nil {
			return notified, dbError(res.Error)
		}
		notified += int(res.RowsAffected)
	}
	return notified, nil
}
