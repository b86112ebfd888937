import FuzzSupport

runLibFuzzer(fuzzFields)
