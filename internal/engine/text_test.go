package engine

import (
	"testing"
	"time"
)

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "Less than a second", 30 * time.Second: "30 seconds", 90 * time.Second: "About a minute",
		10 * time.Minute: "10 minutes", time.Hour: "About an hour", 5 * time.Hour: "5 hours",
		72 * time.Hour: "3 days", 21 * 24 * time.Hour: "3 weeks", 2 * 365 * 24 * time.Hour: "2 years",
	} {
		if got := HumanDuration(d); got != want {
			t.Errorf("HumanDuration(%v) = %s, want %s", d, got, want)
		}
	}
}
