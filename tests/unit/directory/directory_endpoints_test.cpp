#include "netchan/directory_endpoints.hpp"

#include "netchan/error.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

namespace {

// Sets an environment variable for the scope of a test and restores it after.
class scoped_env {
public:
    scoped_env(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) {
            old_ = old;
            had_ = true;
        }
        if (value) {
            ::setenv(name, value, 1);
        } else {
            ::unsetenv(name);
        }
    }
    ~scoped_env() {
        if (had_) {
            ::setenv(name_, old_.c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }
    scoped_env(const scoped_env&) = delete;
    scoped_env& operator=(const scoped_env&) = delete;

private:
    const char* name_;
    std::string old_;
    bool had_ = false;
};

} // namespace

TEST_CASE("directory endpoints: a comma-separated list is split and trimmed",
          "[directory][endpoints]") {
    using v = std::vector<std::string>;
    CHECK(netchan::split_endpoints("tcp://a:1") == v{"tcp://a:1"});
    CHECK(netchan::split_endpoints(" tcp://a:1 ,tcp://b:2,, ") == v{"tcp://a:1", "tcp://b:2"});
    CHECK(netchan::split_endpoints("").empty());
}

TEST_CASE("directory endpoints: the option beats NETCHAN_DIRECTORY which beats the default",
          "[directory][endpoints]") {
    using v = std::vector<std::string>;
    {
        scoped_env env("NETCHAN_DIRECTORY", nullptr);
        CHECK(netchan::directory_endpoints() ==
              v{std::string(netchan::default_directory_endpoint)});
        CHECK(netchan::directory_endpoints("ipc:///tmp/d") == v{"ipc:///tmp/d"});
    }
    {
        scoped_env env("NETCHAN_DIRECTORY", "tcp://a:1,tcp://b:2");
        CHECK(netchan::directory_endpoints() == v{"tcp://a:1", "tcp://b:2"});
        CHECK(netchan::directory_endpoints("tcp://c:3") == v{"tcp://c:3"});
    }
    {
        scoped_env env("NETCHAN_DIRECTORY", nullptr);
        CHECK_THROWS_AS(netchan::directory_endpoints(" , "), netchan::error);
    }
}

TEST_CASE("directory endpoints: a wildcard bind is advertised with the advertise host",
          "[directory][endpoints]") {
    scoped_env env("NETCHAN_ADVERTISE_HOST", "node7.example");
    CHECK(netchan::advertise_host() == "node7.example");
    CHECK(netchan::advertised_endpoint("tcp://0.0.0.0:5555") == "tcp://node7.example:5555");
    CHECK(netchan::advertised_endpoint("tcp://*:5555") == "tcp://node7.example:5555");
    CHECK(netchan::advertised_endpoint("tcp://[::]:5555") == "tcp://node7.example:5555");
    CHECK(netchan::advertised_endpoint("tcp://10.1.2.3:5555") == "tcp://10.1.2.3:5555");
    CHECK(netchan::advertised_endpoint("ipc:///tmp/x") == "ipc:///tmp/x");
    CHECK(netchan::advertised_endpoint("inproc://x") == "inproc://x");
}

TEST_CASE("directory endpoints: without an override the advertise host is not a wildcard",
          "[directory][endpoints]") {
    scoped_env env("NETCHAN_ADVERTISE_HOST", nullptr);
    const auto h = netchan::advertise_host();
    CHECK_FALSE(h.empty());
    CHECK(h != "0.0.0.0");
    CHECK(netchan::advertised_endpoint("tcp://0.0.0.0:1").find("0.0.0.0") == std::string::npos);
}
