package techx

import (
	"context"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Role is what a user may do on the platform.
type Role string

// The roles. Admin is never self-registered: `techx admin create` makes one.
const (
	RoleEnterprise  Role = "enterprise"
	RoleInstitution Role = "institution"
	RoleBroker      Role = "broker"
	RoleAdmin       Role = "admin"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleEnterprise, RoleInstitution, RoleBroker, RoleAdmin:
		return true
	}
	return false
}

// OrgKind classifies an organization.
type OrgKind string

// The organization kinds.
const (
	OrgEnterprise OrgKind = "enterprise"
	OrgUniversity OrgKind = "university"
	OrgInstitute  OrgKind = "institute"
	OrgAgency     OrgKind = "agency"
	OrgGovernment OrgKind = "government"
	OrgOther      OrgKind = "other"
)

// Valid reports whether k is a known organization kind.
func (k OrgKind) Valid() bool {
	switch k {
	case OrgEnterprise, OrgUniversity, OrgInstitute, OrgAgency, OrgGovernment, OrgOther:
		return true
	}
	return false
}

// RoleFitsOrg reports whether a user with role r may belong to an
// organization of kind k: enterprises post needs, universities and
// institutes list results, brokers work for agencies (or government or
// other service bodies). Admins are staff and may belong anywhere.
func RoleFitsOrg(r Role, k OrgKind) bool {
	switch r {
	case RoleEnterprise:
		return k == OrgEnterprise
	case RoleInstitution:
		return k == OrgUniversity || k == OrgInstitute || k == OrgOther
	case RoleBroker:
		return k == OrgAgency || k == OrgGovernment || k == OrgOther
	case RoleAdmin:
		return true
	}
	return false
}

// Organization is a company, university, institute, agency or bureau.
// Every user belongs to exactly one.
type Organization struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Kind         OrgKind    `json:"kind"`
	USCC         string     `json:"uscc,omitempty"`
	County       string     `json:"county,omitempty"`
	SourceRegion string     `json:"source_region,omitempty"`
	VerifiedAt   *time.Time `json:"verified_at"`
	CreatedAt    time.Time  `json:"created_at"`
}

// InCangzhou reports whether the organization sits in a Cangzhou county or zone.
func (o *Organization) InCangzhou() bool { return o.County != "" }

// NewOrganization is the input for creating an organization at registration.
type NewOrganization struct {
	Name         string  `json:"name"`
	Kind         OrgKind `json:"kind"`
	USCC         string  `json:"uscc"`
	County       string  `json:"county"`
	SourceRegion string  `json:"source_region"`
}

// Normalize trims fields and upper-cases the credit code.
func (o *NewOrganization) Normalize() {
	o.Name = strings.TrimSpace(o.Name)
	o.USCC = strings.ToUpper(strings.TrimSpace(o.USCC))
	o.County = strings.TrimSpace(o.County)
	o.SourceRegion = strings.TrimSpace(o.SourceRegion)
}

// Validate checks o against the taxonomy; prefix names the enclosing field.
func (o *NewOrganization) Validate(v *Validation, tx *Taxonomy, prefix string) {
	n := utf8.RuneCountInString(o.Name)
	v.Check(n >= 2 && n <= 100, prefix+"name", "must be 2 to 100 characters")
	v.Check(o.Kind.Valid(), prefix+"kind", "must be one of enterprise, university, institute, agency, government, other")
	if o.USCC != "" {
		v.Check(ValidUSCC(o.USCC), prefix+"uscc", "is not a valid unified social credit code (GB 32100-2015)")
	} else if o.Kind == OrgEnterprise {
		v.Add(prefix+"uscc", "is required for enterprises")
	}
	switch {
	case o.County != "" && o.SourceRegion != "":
		v.Add(prefix+"county", "give either county (in Cangzhou) or source_region (outside), not both")
	case o.County == "" && o.SourceRegion == "":
		v.Add(prefix+"county", "give county (a Cangzhou county or zone code) or source_region")
	case o.County != "":
		v.Check(tx.IsCountyOrZone(o.County), prefix+"county", "unknown county or zone code %q", o.County)
	default:
		v.Check(tx.IsSourceRegion(o.SourceRegion), prefix+"source_region", "unknown source region code %q", o.SourceRegion)
	}
}

// User is a person with an account. PasswordHash never leaves the server.
type User struct {
	ID           string        `json:"id"`
	Email        string        `json:"email"`
	Name         string        `json:"name"`
	Role         Role          `json:"role"`
	OrgID        string        `json:"org_id"`
	OrgOwner     bool          `json:"org_owner"`
	PasswordHash string        `json:"-"`
	CreatedAt    time.Time     `json:"created_at"`
	Organization *Organization `json:"organization,omitempty"`
}

// IsStaff reports whether u sees everything published, confidential included
// (brokers and admins).
func (u *User) IsStaff() bool {
	return u != nil && (u.Role == RoleBroker || u.Role == RoleAdmin)
}

// IsAdmin reports whether u is an administrator.
func (u *User) IsAdmin() bool { return u != nil && u.Role == RoleAdmin }

// Registration is the input of POST /auth/register.
type Registration struct {
	Email        string           `json:"email"`
	Password     string           `json:"password"`
	Name         string           `json:"name"`
	Role         Role             `json:"role"`
	Organization *NewOrganization `json:"organization"`
	InviteCode   string           `json:"invite_code"`
}

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 10

// NormalizeEmail lower-cases and trims an e-mail address.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Validate checks the registration; it never accepts the admin role.
func (r *Registration) Validate(tx *Taxonomy) error {
	var v Validation
	r.Email = NormalizeEmail(r.Email)
	r.Name = strings.TrimSpace(r.Name)
	if a, err := mail.ParseAddress(r.Email); err != nil || a.Address != r.Email || len(r.Email) > 254 {
		v.Add("email", "must be a valid e-mail address")
	}
	v.Check(utf8.RuneCountInString(r.Password) >= MinPasswordLen, "password", "must be at least %d characters", MinPasswordLen)
	v.Check(len(r.Password) <= 256, "password", "must be at most 256 bytes")
	n := utf8.RuneCountInString(r.Name)
	v.Check(n >= 1 && n <= 100, "name", "must be 1 to 100 characters")
	switch r.Role {
	case RoleEnterprise, RoleInstitution, RoleBroker:
	case RoleAdmin:
		v.Add("role", "admin accounts cannot be self-registered")
	default:
		v.Add("role", "must be one of enterprise, institution, broker")
	}
	switch {
	case r.Organization != nil && r.InviteCode != "":
		v.Add("organization", "give either organization or invite_code, not both")
	case r.Organization == nil && strings.TrimSpace(r.InviteCode) == "":
		v.Add("organization", "give organization to create one, or invite_code to join one")
	case r.Organization != nil:
		r.Organization.Normalize()
		r.Organization.Validate(&v, tx, "organization.")
		if r.Organization.Kind.Valid() && r.Role.Valid() && r.Role != RoleAdmin && !RoleFitsOrg(r.Role, r.Organization.Kind) {
			v.Add("role", "role %s does not fit an organization of kind %s", r.Role, r.Organization.Kind)
		}
	}
	return v.Err()
}

// Invitation lets another person join an organization.
type Invitation struct {
	Code      string    `json:"invite_code"`
	OrgID     string    `json:"org_id"`
	CreatedBy string    `json:"created_by"`
	ExpiresAt time.Time `json:"expires_at"`
}

// RefreshToken is the stored half of an opaque refresh token: only its hash
// is kept. Tokens of one login form a family; reuse of a rotated token
// revokes the family.
type RefreshToken struct {
	ID        string
	UserID    string
	FamilyID  string
	Hash      string
	ExpiresAt time.Time
}

// UserService stores accounts, organizations and refresh-token families.
type UserService interface {
	// Register creates the user and, when asked, its organization; or joins
	// the organization of an invitation (consuming it). EINVALID, ECONFLICT.
	Register(ctx context.Context, r *Registration, passwordHash string) (*User, error)
	// CreateAdmin creates an administrator in the bureau's organization.
	CreateAdmin(ctx context.Context, email, name, passwordHash string) (*User, error)
	// FindUserByID returns the user with its organization. ENOTFOUND.
	FindUserByID(ctx context.Context, id string) (*User, error)
	// FindUserByEmail returns the user with that (normalised) e-mail. ENOTFOUND.
	FindUserByEmail(ctx context.Context, email string) (*User, error)
	// FindUsers lists users by role (all when empty).
	FindUsers(ctx context.Context, role Role) ([]*User, error)
	// UpdatePasswordHash replaces the stored hash (rehash on login).
	UpdatePasswordHash(ctx context.Context, userID, hash string) error

	// FindOrganizationByID returns one organization. ENOTFOUND.
	FindOrganizationByID(ctx context.Context, id string) (*Organization, error)
	// CreateInvitation stores an invitation to the organization.
	CreateInvitation(ctx context.Context, inv *Invitation) error
	// VerifyOrganization marks the organization verified. ENOTFOUND.
	VerifyOrganization(ctx context.Context, id string, at time.Time) (*Organization, error)

	// CreateRefreshToken stores a refresh token.
	CreateRefreshToken(ctx context.Context, t *RefreshToken) error
	// RotateRefreshToken marks the token with hash as used and stores next
	// in the same family, atomically. A token that was already rotated or
	// revoked revokes its whole family and returns EUNAUTHORIZED; an
	// unknown or expired one returns EUNAUTHORIZED.
	RotateRefreshToken(ctx context.Context, hash string, now time.Time, next *RefreshToken) (*RefreshToken, error)
	// RevokeRefreshFamily revokes the family of the token with hash, if any.
	RevokeRefreshFamily(ctx context.Context, hash string, now time.Time) error
}
