#pragma once

// Umbrella header: everything a netchan user needs.
#include "netchan/actor_group.hpp"
#include "netchan/chan.hpp"
#include "netchan/directory_client.hpp"
#include "netchan/directory_endpoints.hpp"
#include "netchan/directory_registrar.hpp"
#include "netchan/directory_server.hpp"
#include "netchan/encoded.hpp"
#include "netchan/error.hpp"
#include "netchan/exporter.hpp"
#include "netchan/fwd.hpp"
#include "netchan/importer.hpp"
#include "netchan/select.hpp"
