import FuzzSupport

runLibFuzzer(fuzzHCL)
