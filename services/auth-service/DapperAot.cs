// Every Dapper call of the service is compiled by Dapper.AOT's source generator (interceptors) instead of
// being emitted as IL at run time: the first query of each shape costs no JIT, and Dapper stops being the
// one dependency a Native AOT build flags (docs/architecture.md, "Performance: where the time goes").
[module: Dapper.DapperAot]
