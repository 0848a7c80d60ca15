// Uses an installed netchan through its public headers only: a local channel, then a value
// exported and imported over inproc://. Prints "consumer: ok" and exits 0 when both work.
#include <netchan/chan.hpp>
#include <netchan/exporter.hpp>
#include <netchan/importer.hpp>

#include <chrono>
#include <cstdio>
#include <string>

int main() {
    netchan::chan<int> local(1);
    local.send(41);
    const auto got = local.recv();
    if (!got || *got != 41) {
        std::puts("consumer: local channel lost its value");
        return 1;
    }

    netchan::exporter exp("inproc://netchan-install-consumer");
    netchan::chan<std::string> out(4);
    exp.export_chan("greetings", out, netchan::dir::send);
    netchan::importer imp(exp.endpoint());
    auto in = imp.import_chan<std::string>("greetings", netchan::dir::recv, 4);
    out.send("hello");
    out.close();
    const auto v = in.recv_for(std::chrono::seconds(10));
    if (!v || *v != "hello") {
        std::puts("consumer: imported channel did not deliver \"hello\"");
        return 1;
    }
    if (in.recv_for(std::chrono::seconds(10)) || !in.closed()) {
        std::puts("consumer: imported channel did not close after the exporter's close");
        return 1;
    }
    std::puts("consumer: ok");
    return 0;
}
