package dynamo

// HitNamed is Hit under a given name, as the SDK's retry of one hit sends it again.
var HitNamed = (*Store).hit
