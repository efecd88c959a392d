package engine

// Docker-style generated names: adjective_noun.
var adjectives = []string{
	"admiring", "agitated", "amazing", "angry", "awesome", "blissful", "bold", "boring",
	"brave", "busy", "charming", "clever", "cool", "compassionate", "competent", "confident",
	"cranky", "crazy", "dazzling", "determined", "distracted", "dreamy", "eager", "ecstatic",
	"elastic", "elated", "elegant", "eloquent", "epic", "fervent", "festive", "flamboyant",
	"focused", "friendly", "frosty", "gallant", "gifted", "goofy", "gracious", "happy",
	"hardcore", "heuristic", "hopeful", "hungry", "infallible", "inspiring", "jolly", "jovial",
	"keen", "kind", "laughing", "loving", "lucid", "magical", "modest", "musing",
	"mystifying", "naughty", "nervous", "nice", "nifty", "nostalgic", "objective", "optimistic",
	"peaceful", "pedantic", "pensive", "practical", "priceless", "quirky", "quizzical", "relaxed",
	"reverent", "romantic", "sad", "serene", "sharp", "silly", "sleepy", "stoic",
	"strange", "stupefied", "suspicious", "sweet", "tender", "thirsty", "trusting", "unruffled",
	"upbeat", "vibrant", "vigilant", "vigorous", "wizardly", "wonderful", "xenodochial", "youthful",
	"zealous", "zen",
}

var nouns = []string{
	"agnesi", "albattani", "allen", "archimedes", "babbage", "banach", "bardeen", "bartik",
	"bell", "bhabha", "blackwell", "bohr", "booth", "borg", "bose", "brahmagupta",
	"brown", "carson", "cerf", "chandrasekhar", "clarke", "colden", "cori", "curie",
	"darwin", "davinci", "dijkstra", "dubinsky", "easley", "einstein", "elion", "engelbart",
	"euclid", "euler", "fermat", "fermi", "feynman", "franklin", "galileo", "gauss",
	"goldberg", "goodall", "hamilton", "hawking", "heisenberg", "hermann", "hodgkin", "hopper",
	"hoover", "hypatia", "jackson", "jang", "jennings", "johnson", "joliot", "kalam",
	"keller", "kepler", "khorana", "kilby", "knuth", "kowalevski", "lalande", "lamarr",
	"leakey", "leavitt", "lovelace", "lumiere", "mayer", "mccarthy", "mclean", "meitner",
	"mendel", "minsky", "mirzakhani", "morse", "napier", "newton", "nobel", "noether",
	"pare", "pascal", "pasteur", "payne", "perlman", "pike", "poincare", "ptolemy",
	"raman", "ritchie", "rosalind", "saha", "shannon", "shirley", "sinoussi", "swartz",
	"tesla", "thompson", "torvalds", "turing", "volhard", "wescoff", "wilbur", "wiles",
	"williams", "wozniak", "wright", "yalow", "yonath",
}
