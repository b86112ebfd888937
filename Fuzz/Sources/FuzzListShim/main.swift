import FuzzSupport

runLibFuzzer(fuzzListShim)
