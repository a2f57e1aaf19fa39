package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/techx-cz/techx/internal/store"
	"github.com/techx-cz/techx/internal/store/storetest"
	"github.com/techx-cz/techx/internal/techx"
)

func actorCtx(t *testing.T, db *store.DB, r *techx.Registration) context.Context {
	t.Helper()
	u, err := store.NewUserService(db).Register(context.Background(), r, "hash")
	if err != nil {
		t.Fatal(err)
	}
	return techx.NewContextWithUser(context.Background(), u)
}

func opt[T any](v T) techx.Opt[T] { return techx.Opt[T]{Set: true, V: v} }

// TestDealsAndSavedSearchesInTheStore: one open deal per pair even under
// concurrent opening, signing's listing effects and outbox rows, the
// signed-deal lookup of contracts, and saved-search notifications at most
// once per listing, on both databases.
func TestDealsAndSavedSearchesInTheStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tx := taxonomy(t)
		cat := store.NewCatalogService(db, tx)
		deals := store.NewDealService(db, tx)
		inbox := store.NewNotificationService(db, tx)
		ent := actorCtx(t, db, enterprise("91350100M000100Y43"))
		inst := actorCtx(t, db, &techx.Registration{Email: "prof@tsinghua.cn", Password: "0123456789", Name: "李", Role: techx.RoleInstitution,
			Organization: &techx.NewOrganization{Name: "清华大学", Kind: techx.OrgUniversity, SourceRegion: "beijing"}})
		n, err := cat.CreateNeed(ent, &techx.NeedInput{Title: opt("焊缝气孔多"), Industry: opt("pipeline")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cat.NeedAction(ent, n.ID, techx.ActionPublish, ""); err != nil {
			t.Fatal(err)
		}
		r, err := cat.CreateResult(inst, &techx.ResultInput{Title: opt("激光复合焊"), Industry: opt("pipeline"), TransferModes: opt([]string{"transfer"})})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cat.ResultAction(inst, r.ID, techx.ActionPublish, ""); err != nil {
			t.Fatal(err)
		}
		// Concurrent openings: exactly one wins, the others are ECONFLICT.
		var wg sync.WaitGroup
		codes := make([]string, 4)
		ids := make([]string, 4)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d, err := deals.CreateDeal(ent, &techx.NewDeal{NeedID: n.ID, ResultID: r.ID})
				codes[i] = techx.ErrorCode(err)
				if d != nil {
					ids[i] = d.ID
				}
			}()
		}
		wg.Wait()
		id, won := "", 0
		for i, c := range codes {
			switch c {
			case "":
				id, won = ids[i], won+1
			case techx.ECONFLICT, techx.EUNAVAILABLE:
			default:
				t.Fatalf("concurrent open: %v", codes)
			}
		}
		if won != 1 {
			t.Fatalf("%d concurrent openings won (%v), want 1", won, codes)
		}
		if _, _, err := deals.FindSignedDealParties(context.Background(), id); techx.ErrorCode(err) != techx.ENOTFOUND {
			t.Fatalf("an unsigned deal is found for contracts: %v", err)
		}
		for _, st := range []string{techx.StageContacted, techx.StageNegotiating, techx.StageSigned} {
			if _, err := deals.MoveDeal(inst, id, &techx.StageMove{Stage: st}); err != nil {
				t.Fatalf("move to %s: %v", st, err)
			}
		}
		needOrg, resultOrg, err := deals.FindSignedDealParties(context.Background(), id)
		if err != nil || needOrg != n.OrgID || resultOrg != r.OrgID {
			t.Fatalf("FindSignedDealParties = %q, %q, %v", needOrg, resultOrg, err)
		}
		gotN, _ := cat.FindNeedByID(ent, n.ID)
		gotR, _ := cat.FindResultByID(inst, r.ID)
		if gotN.Status != techx.StatusMatched || gotR.Status != techx.StatusTransferred {
			t.Fatalf("after signing a transfer: need %s, result %s", gotN.Status, gotR.Status)
		}
		// The listings' changes went to the outbox for the index.
		var outbox int64
		if err := db.Gorm().Raw("SELECT COUNT(*) FROM outbox WHERE entity_id IN ?", []string{n.ID, r.ID}).Scan(&outbox).Error; err != nil || outbox != 6 {
			t.Fatalf("outbox rows = %d, %v; want 6 (create, publish, sign × 2)", outbox, err)
		}

		// Saved searches: at most once per listing, whatever the replays.
		ss, err := inbox.CreateSavedSearch(ent, &techx.SavedSearchInput{Kind: "result", Q: "焊"})
		if err != nil {
			t.Fatal(err)
		}
		l := techx.ListingRef{Kind: techx.KindResult, ID: r.ID, OrgID: r.OrgID, Title: r.Title}
		always := func(context.Context, *techx.SavedSearch, *techx.User, techx.ListingRef) (bool, error) {
			return true, nil
		}
		total := 0
		for range 3 {
			k, err := inbox.NotifySavedSearches(context.Background(), l, always)
			if err != nil {
				t.Fatal(err)
			}
			total += k
		}
		// The listing's own organization is never told about its listing.
		own, err := inbox.NotifySavedSearches(context.Background(), techx.ListingRef{Kind: techx.KindResult, ID: "x", OrgID: n.OrgID}, always)
		if total != 1 || own != 0 || err != nil {
			t.Fatalf("notified %d times (own org %d, %v), want once", total, own, err)
		}
		items, count, _, err := inbox.FindNotifications(ent, techx.NotificationFilter{PageSize: 10})
		if err != nil || count < 1 || items[0].SavedSearchID != ss.ID {
			t.Fatalf("inbox = %v, %d, %v", items, count, err)
		}
		if err := inbox.DeleteSavedSearch(inst, ss.ID); techx.ErrorCode(err) != techx.ENOTFOUND {
			t.Fatalf("another user deleted the saved search: %v", err)
		}
	})
}
