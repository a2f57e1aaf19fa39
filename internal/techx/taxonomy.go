package techx

import (
	"encoding/json"
	"fmt"
)

// Code is one coded entry of the taxonomy with its Chinese name.
type Code struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	Group     string `json:"group,omitempty"`
	GroupName string `json:"group_name,omitempty"`
	Kind      string `json:"kind,omitempty"`
	Note      string `json:"note,omitempty"`
}

// PlanTarget is a target of the plan such as 技术合同成交额 150亿元 by 2025.
type PlanTarget struct {
	Indicator    string  `json:"indicator"`
	Name         string  `json:"name"`
	Unit         string  `json:"unit"`
	BaselineYear int     `json:"baseline_year"`
	Baseline     float64 `json:"baseline"`
	TargetYear   int     `json:"target_year"`
	Target       float64 `json:"target"`
	Note         string  `json:"note,omitempty"`
}

// PlanIndicator is one of the plan's indicators (2020 value, 2025 target).
type PlanIndicator struct {
	No     int             `json:"no"`
	Name   string          `json:"name"`
	Unit   string          `json:"unit"`
	Value  json.RawMessage `json:"2020"`
	Target json.RawMessage `json:"2025"`
	Kind   string          `json:"kind"`
}

// Taxonomy holds the plan's coded facts: industries, counties, zones,
// source regions, contract types, transfer modes, targets and indicators.
type Taxonomy struct {
	Source        string          `json:"_source"`
	Industries    []Code          `json:"industries"`
	Counties      []Code          `json:"counties"`
	Zones         []Code          `json:"zones"`
	SourceRegions []Code          `json:"source_regions"`
	ContractTypes []Code          `json:"contract_types"`
	TransferModes []Code          `json:"transfer_modes"`
	Targets       []PlanTarget    `json:"targets"`
	Indicators    []PlanIndicator `json:"indicators_2020_2025"`

	index map[string]map[string]string
}

// ParseTaxonomy decodes the taxonomy JSON and builds its lookup tables.
func ParseTaxonomy(b []byte) (*Taxonomy, error) {
	var t Taxonomy
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("parse taxonomy: %w", err)
	}
	if len(t.Industries) == 0 || len(t.Counties) == 0 || len(t.SourceRegions) == 0 {
		return nil, fmt.Errorf("parse taxonomy: industries, counties and source regions are required")
	}
	t.index = map[string]map[string]string{}
	add := func(set string, cs []Code) {
		m := map[string]string{}
		for _, c := range cs {
			m[c.Code] = c.Name
		}
		t.index[set] = m
	}
	add("industry", t.Industries)
	add("county", t.Counties)
	add("zone", t.Zones)
	add("region", t.SourceRegions)
	add("contract", t.ContractTypes)
	add("mode", t.TransferModes)
	return &t, nil
}

func (t *Taxonomy) has(set, code string) bool { _, ok := t.index[set][code]; return ok }

// IsIndustry reports whether code is an industry code.
func (t *Taxonomy) IsIndustry(code string) bool { return t.has("industry", code) }

// IsCountyOrZone reports whether code is a Cangzhou county or zone code.
func (t *Taxonomy) IsCountyOrZone(code string) bool {
	return t.has("county", code) || t.has("zone", code)
}

// IsSourceRegion reports whether code is a source-region code.
func (t *Taxonomy) IsSourceRegion(code string) bool { return t.has("region", code) }

// IsContractType reports whether code is a contract-type code.
func (t *Taxonomy) IsContractType(code string) bool { return t.has("contract", code) }

// IsTransferMode reports whether code is a transfer-mode code.
func (t *Taxonomy) IsTransferMode(code string) bool { return t.has("mode", code) }

// Name returns the Chinese name of code in any code set, or "".
func (t *Taxonomy) Name(code string) string {
	for _, set := range []string{"industry", "county", "zone", "region", "contract", "mode"} {
		if n, ok := t.index[set][code]; ok {
			return n
		}
	}
	return ""
}

// IndustryName returns the Chinese name of an industry code, or "".
func (t *Taxonomy) IndustryName(code string) string { return t.index["industry"][code] }
