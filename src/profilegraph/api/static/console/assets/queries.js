// The GraphQL documents the console sends: nothing it shows comes from anywhere else.

export const CALLER = `query Caller { caller { name role scopes capabilities } }`;

export const LOOKUP = `query Lookup($query: String!) {
  lookup(query: $query) {
    matchedBy identifier
    profile { oneId redirectedFrom lifecycle { stage tier } identifiers { type value } }
  }
}`;

export const PROFILE = `query Profile($oneId: ID!) {
  profile(oneId: $oneId) {
    oneId redirectedFrom createdAt updatedAt
    mergedFrom { oneId at reason }
    identifiers { type value firstSeen lastSeen sources status }
    attributes { name value source observedAt rule }
    tags { name value kind source confidence updatedAt expiresAt }
    affinities(first: 8) { dimension value score evidence lastAt }
    orders(first: 20) { totalCount edges { node { orderId at amount currency channel source items { sku quantity price } } } }
    interactions(first: 20) { totalCount edges { node { eventId at kind source contentId channel } } }
    touches(first: 20) { totalCount edges { node { eventId at action campaignId campaign channel source } } }
    sharedOrders: orders(first: 10, shared: true) { totalCount edges { node { orderId at amount currency channel source items { sku quantity price } } } }
    sharedInteractions: interactions(first: 10, shared: true) { totalCount edges { node { eventId at kind source contentId channel } } }
    households { householdId members devices }
    clv {
      historic pAlive fittedAt
      predicted(horizonDays: 365) expectedPurchases(horizonDays: 365)
      rfm { recency frequency monetary rScore fScore mScore segment }
    }
    lifecycle { stage since tier }
  }
}`;

export const ADMIN_PROFILE = `query AdminProfile($oneId: ID!) {
  profile(oneId: $oneId) {
    oneId
    identityGraph {
      truncated
      nodes { id type value status oneId inProfile }
      edges { source target status rule count firstSeen lastSeen sources }
    }
  }
  mergeHistory(oneId: $oneId) { status current mergedFrom { retired survivor at reason } mergedInto { retired survivor at reason } }
  auditLog(oneId: $oneId, first: 20) { edges { node { auditId at actor action reason oneIds identifiers } } }
}`;

export const EXPLAIN = `query Explain($oneId: ID!, $a: ID!, $b: ID!) {
  profile(oneId: $oneId) {
    identityGraph {
      explain(a: $a, b: $b) { a b linked reason path { a b kind count sources firstSeen lastSeen refusedBy detail } }
    }
  }
}`;

export const MERGE = `mutation Merge($a: ID!, $b: ID!, $reason: String!) {
  mergeProfiles(a: $a, b: $b, reason: $reason) { profile { oneId } auditId errors { code field message } }
}`;

export const SPLIT = `mutation Split($oneId: ID!, $identifiers: [IdentifierInput!]!, $reason: String!) {
  splitProfile(oneId: $oneId, identifiers: $identifiers, reason: $reason) {
    profiles { oneId } auditId errors { code field message }
  }
}`;

export const BLOCK = `mutation Block($identifier: IdentifierInput!, $reason: String!) {
  blockIdentifier(identifier: $identifier, reason: $reason) { identifier status profile { oneId } auditId errors { code field message } }
}`;

export const UNBLOCK = `mutation Unblock($identifier: IdentifierInput!, $reason: String!) {
  unblockIdentifier(identifier: $identifier, reason: $reason) { identifier status profile { oneId } auditId errors { code field message } }
}`;

export const ADMIN_OVERVIEW = `query AdminOverview {
  conflicts(first: 20) { totalCount edges { node { conflictId a b rule detail detectedAt } } }
  auditLog(first: 20) { edges { node { auditId at actor action reason oneIds identifiers } } }
}`;

export const VALUE_MAP = `query ValueMap($buckets: [Float!]!) {
  valueMap(buckets: $buckets, horizonDays: 365) {
    customers buyers historicTotal predictedTotal fittedAt horizonDays
    histogram { from to count valueTotal }
    stages { name count }
    tiers { name count }
  }
}`;

export const VALUE_HISTORY = `query ValueHistory($from: Date!, $to: Date!) {
  valueMapHistory(from: $from, to: $to) { asOf customers highValueShare predictedTotal stages { name count } }
}`;

export const AUDIENCE_OPTIONS = `query AudienceOptions {
  identifierTypes
  tagDefinitions(objectType: USER) { name valueType kind description }
  audiences { id name count createdAt createdBy }
}`;

export const AUDIENCE_COUNT = `query AudienceCount($filter: ProfileFilter) {
  profiles(filter: $filter, first: 10) { totalCount edges { node { oneId lifecycle { stage tier } } } }
}`;

export const DEFINE_AUDIENCE = `mutation DefineAudience($name: String!, $filter: ProfileFilter!) {
  defineAudience(name: $name, filter: $filter) { audience { id name count } errors { code field message } }
}`;
