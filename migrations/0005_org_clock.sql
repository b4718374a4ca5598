-- An instant an org's clock is frozen at, for bundles whose orgs must each stand at their own
-- moment: the documents' samples were taken at different instants (May, June and July 2024) that
-- no single bundle-wide `settings.clock` satisfies, and each must come back from a plain request.
-- NULL: the org has no instant of its own and reads the emulator's clock (the configured instant,
-- else the bundle's, else real time). A configured clock (EMULATOR_CLOCK) still wins over it.
ALTER TABLE orgs ADD COLUMN clock timestamptz;
