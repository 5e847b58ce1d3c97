/// The tiny random models and deterministic data every test target shares.
@_exported import PagodaTestSupport
