package httpapi_test

import "github.com/techx-cz/techx/internal/app"

func appOptions() app.Options { return app.Options{} }
