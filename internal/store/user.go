package store

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/techx-cz/techx/internal/techx"
)

// BureauName is the organization that administrators created with
// `techx admin create` belong to.
const BureauName = "沧州市科学技术局"

type orgRow struct {
	ID           string
	Name         string
	Kind         string
	USCC         *string `gorm:"column:uscc"`
	County       string
	SourceRegion string
	VerifiedAt   *time.Time
	CreatedAt    time.Time
}

func (orgRow) TableName() string { return "organizations" }

func (r *orgRow) domain() *techx.Organization {
	o := &techx.Organization{ID: r.ID, Name: r.Name, Kind: techx.OrgKind(r.Kind), County: r.County,
		SourceRegion: r.SourceRegion, VerifiedAt: utcPtr(r.VerifiedAt), CreatedAt: r.CreatedAt.UTC()}
	if r.USCC != nil {
		o.USCC = *r.USCC
	}
	return o
}

type userRow struct {
	ID           string
	Email        string
	Name         string
	Role         string
	OrgID        string
	OrgOwner     bool
	PasswordHash string
	CreatedAt    time.Time
}

func (userRow) TableName() string { return "users" }

func (r *userRow) domain() *techx.User {
	return &techx.User{ID: r.ID, Email: r.Email, Name: r.Name, Role: techx.Role(r.Role), OrgID: r.OrgID,
		OrgOwner: r.OrgOwner, PasswordHash: r.PasswordHash, CreatedAt: r.CreatedAt.UTC()}
}

type refreshRow struct {
	ID        string
	UserID    string
	FamilyID  string
	TokenHash string
	CreatedAt time.Time
	ExpiresAt time.Time
	RotatedAt *time.Time
	RevokedAt *time.Time
}

func (refreshRow) TableName() string { return "refresh_tokens" }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// UserService implements techx.UserService on the database.
type UserService struct{ db *DB }

// NewUserService returns a UserService on db.
func NewUserService(db *DB) *UserService { return &UserService{db: db} }

var _ techx.UserService = (*UserService)(nil)

// Register implements techx.UserService.
func (s *UserService) Register(ctx context.Context, r *techx.Registration, hash string) (u *techx.User, err error) {
	defer techx.Wrap(&err, "Register(%q)", r.Email)
	now := s.db.Now()
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		var org orgRow
		owner := false
		if r.Organization != nil {
			org = orgRow{ID: newID(), Name: r.Organization.Name, Kind: string(r.Organization.Kind),
				USCC: strPtr(r.Organization.USCC), County: r.Organization.County,
				SourceRegion: r.Organization.SourceRegion, CreatedAt: now}
			if err := tx.Create(&org).Error; err != nil {
				if isUniqueViolation(err) {
					return &techx.Error{Code: techx.ECONFLICT, Message: "An organization with this credit code is already registered; ask its owner for an invitation.",
						Fields: []techx.FieldError{{Field: "organization.uscc", Message: "already registered"}}}
				}
				return err
			}
			owner = true
		} else {
			res := tx.Exec(`UPDATE invitations SET used_at = ?, used_by = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?`,
				now, r.Email, techx.HashSecret(r.InviteCode), now)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return &techx.Error{Code: techx.EINVALID, Message: "The invitation code is unknown, used or expired.",
					Fields: []techx.FieldError{{Field: "invite_code", Message: "unknown, used or expired"}}}
			}
			var orgID string
			if err := tx.Raw(`SELECT org_id FROM invitations WHERE code_hash = ?`, techx.HashSecret(r.InviteCode)).Scan(&orgID).Error; err != nil {
				return err
			}
			if err := tx.First(&org, "id = ?", orgID).Error; err != nil {
				return err
			}
			if !techx.RoleFitsOrg(r.Role, techx.OrgKind(org.Kind)) {
				return &techx.Error{Code: techx.EINVALID, Message: "The role does not fit the organization of the invitation.",
					Fields: []techx.FieldError{{Field: "role", Message: "does not fit an organization of kind " + org.Kind}}}
			}
		}
		row := userRow{ID: newID(), Email: techx.NormalizeEmail(r.Email), Name: r.Name, Role: string(r.Role), OrgID: org.ID,
			OrgOwner: owner, PasswordHash: hash, CreatedAt: now}
		if err := tx.Create(&row).Error; err != nil {
			if isUniqueViolation(err) {
				return &techx.Error{Code: techx.ECONFLICT, Message: "An account with this e-mail already exists.",
					Fields: []techx.FieldError{{Field: "email", Message: "already registered"}}}
			}
			return err
		}
		u = row.domain()
		u.Organization = org.domain()
		return nil
	})
	return u, dbError(err)
}

// CreateAdmin implements techx.UserService.
func (s *UserService) CreateAdmin(ctx context.Context, email, name, hash string) (u *techx.User, err error) {
	defer techx.Wrap(&err, "CreateAdmin(%q)", email)
	now := s.db.Now()
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		var org orgRow
		e := tx.Where("name = ? AND kind = ?", BureauName, string(techx.OrgGovernment)).Order("created_at").First(&org).Error
		if e == gorm.ErrRecordNotFound {
			org = orgRow{ID: newID(), Name: BureauName, Kind: string(techx.OrgGovernment), County: "yunhe", CreatedAt: now, VerifiedAt: &now}
			e = tx.Create(&org).Error
		}
		if e != nil {
			return e
		}
		row := userRow{ID: newID(), Email: techx.NormalizeEmail(email), Name: name, Role: string(techx.RoleAdmin),
			OrgID: org.ID, OrgOwner: true, PasswordHash: hash, CreatedAt: now}
		if err := tx.Create(&row).Error; err != nil {
			if isUniqueViolation(err) {
				return techx.Errorf(techx.ECONFLICT, "An account with this e-mail already exists.")
			}
			return err
		}
		u = row.domain()
		u.Organization = org.domain()
		return nil
	})
	return u, dbError(err)
}

func (s *UserService) findUser(ctx context.Context, where string, arg any) (*techx.User, error) {
	var row userRow
	err := s.db.gorm.WithContext(ctx).Where(where, arg).First(&row).Error
	if err == gorm.ErrRecordNotFound {
		return nil, techx.Errorf(techx.ENOTFOUND, "User not found.")
	} else if err != nil {
		return nil, dbError(err)
	}
	u := row.domain()
	org, err := s.FindOrganizationByID(ctx, row.OrgID)
	if err != nil {
		return nil, err
	}
	u.Organization = org
	return u, nil
}

// FindUserByID implements techx.UserService.
func (s *UserService) FindUserByID(ctx context.Context, id string) (*techx.User, error) {
	return s.findUser(ctx, "id = ?", id)
}

// FindUserByEmail implements techx.UserService.
func (s *UserService) FindUserByEmail(ctx context.Context, email string) (*techx.User, error) {
	return s.findUser(ctx, "email = ?", techx.NormalizeEmail(email))
}

// FindUsers implements techx.UserService.
func (s *UserService) FindUsers(ctx context.Context, role techx.Role) ([]*techx.User, error) {
	var rows []userRow
	q := s.db.gorm.WithContext(ctx).Order("created_at, id")
	if role != "" {
		q = q.Where("role = ?", string(role))
	}
	if err := q.Find(&rows).Error; err != nil {
		return nil, dbError(err)
	}
	out := make([]*techx.User, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

// UpdatePasswordHash implements techx.UserService.
func (s *UserService) UpdatePasswordHash(ctx context.Context, userID, hash string) error {
	return dbError(s.db.gorm.WithContext(ctx).Model(&userRow{}).Where("id = ?", userID).Update("password_hash", hash).Error)
}

// FindOrganizationByID implements techx.UserService.
func (s *UserService) FindOrganizationByID(ctx context.Context, id string) (*techx.Organization, error) {
	var row orgRow
	err := s.db.gorm.WithContext(ctx).Where("id = ?", id).First(&row).Error
	if err == gorm.ErrRecordNotFound {
		return nil, techx.Errorf(techx.ENOTFOUND, "Organization not found.")
	} else if err != nil {
		return nil, dbError(err)
	}
	return row.domain(), nil
}

// CreateInvitation implements techx.UserService. Only the code's hash is kept.
func (s *UserService) CreateInvitation(ctx context.Context, inv *techx.Invitation) error {
	return dbError(s.db.gorm.WithContext(ctx).Exec(
		`INSERT INTO invitations (code_hash, org_id, created_by, expires_at) VALUES (?, ?, ?, ?)`,
		techx.HashSecret(inv.Code), inv.OrgID, inv.CreatedBy, inv.ExpiresAt.UTC()).Error)
}

// VerifyOrganization implements techx.UserService.
func (s *UserService) VerifyOrganization(ctx context.Context, id string, at time.Time) (*techx.Organization, error) {
	res := s.db.gorm.WithContext(ctx).Model(&orgRow{}).Where("id = ? AND verified_at IS NULL", id).Update("verified_at", at.UTC())
	if res.Error != nil {
		return nil, dbError(res.Error)
	}
	return s.FindOrganizationByID(ctx, id)
}

// CreateRefreshToken implements techx.UserService.
func (s *UserService) CreateRefreshToken(ctx context.Context, t *techx.RefreshToken) error {
	row := refreshRow{ID: newID(), UserID: t.UserID, FamilyID: t.FamilyID, TokenHash: t.Hash,
		CreatedAt: s.db.Now(), ExpiresAt: t.ExpiresAt.UTC()}
	if row.FamilyID == "" {
		row.FamilyID = newID()
		t.FamilyID = row.FamilyID
	}
	t.ID = row.ID
	return dbError(s.db.gorm.WithContext(ctx).Create(&row).Error)
}

// RotateRefreshToken implements techx.UserService.
func (s *UserService) RotateRefreshToken(ctx context.Context, hash string, now time.Time, next *techx.RefreshToken) (*techx.RefreshToken, error) {
	unauthorized := techx.Errorf(techx.EUNAUTHORIZED, "The refresh token is invalid or expired.")
	var reused bool
	err := s.db.tx(ctx, func(tx *gorm.DB) error {
		var old refreshRow
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("token_hash = ?", hash).First(&old).Error
		if err == gorm.ErrRecordNotFound {
			return unauthorized
		} else if err != nil {
			return err
		}
		if old.RotatedAt != nil || old.RevokedAt != nil {
			reused = true
			return nil
		}
		if !old.ExpiresAt.After(now) {
			return unauthorized
		}
		res := tx.Model(&refreshRow{}).Where("id = ? AND rotated_at IS NULL AND revoked_at IS NULL", old.ID).Update("rotated_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			reused = true
			return nil
		}
		row := refreshRow{ID: newID(), UserID: old.UserID, FamilyID: old.FamilyID, TokenHash: next.Hash,
			CreatedAt: now, ExpiresAt: next.ExpiresAt.UTC()}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		next.ID, next.UserID, next.FamilyID = row.ID, row.UserID, row.FamilyID
		return nil
	})
	if err != nil {
		return nil, dbError(err)
	}
	if reused {
		// Someone presented a token that was already exchanged: the family
		// may be stolen, so end every session in it.
		if err := s.RevokeRefreshFamily(ctx, hash, now); err != nil {
			return nil, err
		}
		return nil, unauthorized
	}
	return next, nil
}

// RevokeRefreshFamily implements techx.UserService.
func (s *UserService) RevokeRefreshFamily(ctx context.Context, hash string, now time.Time) error {
	return dbError(s.db.gorm.WithContext(ctx).Exec(
		`UPDATE refresh_tokens SET revoked_at = ? WHERE revoked_at IS NULL AND family_id IN
		 (SELECT family_id FROM refresh_tokens WHERE token_hash = ?)`, now, hash).Error)
}
