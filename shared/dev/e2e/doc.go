// Package e2e holds the end-to-end tests of the assembled system: every function built
// by its constructor in shared/assembly and served by shared/dev/localdev against
// moto_server and stripe-mock, driven as its users do — the contracts of the public
// endpoints in English and French, Stripe's webhooks in any order, the forms in headless
// Chromium, hostile input, each setting of the README, privacy requests, reports from a
// real export, the replay of a day under injected faults, and the whole-system
// benchmarks. It has no code of its own outside its tests.
package e2e
