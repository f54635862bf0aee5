package config

import (
	"testing"
	"time"
)

func TestParseWindow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    Window
		wantErr bool
	}{
		{name: "default", in: "08:00-21:00", want: Window{8 * time.Hour, 21 * time.Hour}},
		{name: "minutes", in: "09:30-20:45", want: Window{9*time.Hour + 30*time.Minute, 20*time.Hour + 45*time.Minute}},
		{name: "wraps midnight", in: "22:00-06:00", want: Window{22 * time.Hour, 6 * time.Hour}},
		{name: "ends at midnight", in: "10:00-24:00", want: Window{10 * time.Hour, 24 * time.Hour}},
		{name: "single digits", in: "8:00-21:00", wantErr: true},
		{name: "no dash", in: "08:00 21:00", wantErr: true},
		{name: "hour 25", in: "08:00-25:00", wantErr: true},
		{name: "minute 60", in: "08:60-21:00", wantErr: true},
		{name: "starts at 24:00", in: "24:00-08:00", wantErr: true},
		{name: "empty window", in: "08:00-08:00", wantErr: true},
		{name: "whole day", in: "00:00-24:00", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseWindow(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParseWindow(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
			if err == nil && got.String() != tt.in {
				t.Errorf("String() = %q, want %q", got.String(), tt.in)
			}
		})
	}
}

func TestWindowContains(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	day := Window{8 * time.Hour, 21 * time.Hour}
	night := Window{22 * time.Hour, 6 * time.Hour}
	at := func(h, m int) time.Time { return time.Date(2025, 3, 30, h, m, 0, 0, paris) }
	tests := []struct {
		name string
		w    Window
		t    time.Time
		want bool
	}{
		{name: "start is inside", w: day, t: at(8, 0), want: true},
		{name: "just before start", w: day, t: at(7, 59), want: false},
		{name: "end is outside", w: day, t: at(21, 0), want: false},
		{name: "local clock, not UTC", w: day, t: time.Date(2025, 3, 30, 19, 30, 0, 0, time.UTC).In(paris), want: false},
		{name: "wrapping, late", w: night, t: at(23, 0), want: true},
		{name: "wrapping, early", w: night, t: at(5, 59), want: true},
		{name: "wrapping, day", w: night, t: at(12, 0), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.w.Contains(tt.t); got != tt.want {
				t.Errorf("%v.Contains(%v) = %v, want %v", tt.w, tt.t, got, tt.want)
			}
		})
	}
}
