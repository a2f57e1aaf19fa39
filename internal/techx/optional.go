package techx

import (
	"encoding/json"
	"time"
)

// Opt is a PATCH field: Set when the key was present in the body, Null when
// its value was JSON null, V otherwise.
type Opt[T any] struct {
	Set  bool
	Null bool
	V    T
}

// UnmarshalJSON implements json.Unmarshaler; it runs only for present keys.
func (o *Opt[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.V)
}

// Date is a calendar date (no time, no zone), JSON "2006-01-02".
type Date struct{ time.Time }

// ParseDate reads "2006-01-02".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, Errorf(EINVALID, "%q is not a date (YYYY-MM-DD)", s)
	}
	return Date{t}, nil
}

// String renders the date as YYYY-MM-DD.
func (d Date) String() string { return d.Format(time.DateOnly) }

// MarshalJSON implements json.Marshaler.
func (d Date) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON implements json.Unmarshaler.
func (d *Date) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return Errorf(EINVALID, "a date must be a string YYYY-MM-DD")
	}
	p, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// Before reports whether d is before the calendar day of t (in UTC+8,
// Cangzhou's time zone).
func (d Date) Before(t time.Time) bool {
	y, m, dd := t.In(ChinaTZ).Date()
	return d.Time.Before(time.Date(y, m, dd, 0, 0, 0, 0, time.UTC))
}

// ChinaTZ is China Standard Time (UTC+8), in which dates are judged.
var ChinaTZ = time.FixedZone("CST", 8*3600)
